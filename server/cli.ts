#!/usr/bin/env node
import { Command, CommanderError, Option } from 'commander';
import {
  clusterBuildCommand,
  clusterDownCommand,
  clusterKubeconfigCommand,
  clusterStatusCommand,
  clusterUpCommand,
  type GradeFlags,
  GRADE_USAGE_EXIT,
  gradeCommand,
  gradingTokenCommand,
  metricsTokenCommand,
  imagesBuildCommand,
  imagesListCommand,
  imagesServerCommand,
  labsTestCommand,
  labsValidateCommand,
  workshopCreateCommand,
  type WorkshopFlags,
} from './app/commands.ts';
import { startPlatform } from './app/start.ts';
import { CnlabError } from './errors.ts';
import { readSettings, setting } from './settings.ts';

// The `cnlab` commands and their flags; what each one does is in server/app/commands.ts.

const program = new Command('cnlab').description('cnlab: Kubernetes courses with a real cluster behind every lesson');

const providerOption = () =>
  new Option('-p, --provider <name>', 'cluster provider: auto, local, kind or kubeconfig (env CNLAB_PROVIDER)');
const contextOption = () => new Option('--context <name>', 'kubeconfig context, for the kubeconfig provider');

type ClusterFlags = { provider?: string; context?: string };
const choice = (flags: ClusterFlags) => ({ requested: flags.provider, context: flags.context });

const cluster = program.command('cluster').description('bring the Kubernetes cluster up or down, or inspect it');

cluster
  .command('up')
  .description('start the cluster (building the local control plane on first use) and wait until it is healthy')
  .addOption(providerOption())
  .addOption(contextOption())
  .action((flags: ClusterFlags) => clusterUpCommand(choice(flags)));

cluster
  .command('build')
  .description("build the local provider's Kubernetes, etcd and kwok binaries into the cache, or check they are there")
  .action(() => clusterBuildCommand());

cluster
  .command('down')
  .description('stop the cluster and leave nothing running')
  .addOption(providerOption())
  .action((flags: ClusterFlags) => clusterDownCommand(choice(flags)));

cluster
  .command('status')
  .description('print provider, version, API URL, nodes, health and, for the local provider, each component; exits 1 unless healthy')
  .option('--json', 'print JSON')
  .action((flags: { json?: boolean }) => clusterStatusCommand(flags));

cluster
  .command('kubeconfig')
  .description('print the path of the admin kubeconfig (export KUBECONFIG=$(cnlab cluster kubeconfig))')
  .action(() => clusterKubeconfigCommand());

program
  .command('start')
  .description('bring the cluster up, build the course site if needed, and serve the platform')
  .addOption(providerOption())
  .addOption(contextOption())
  .addOption(new Option('--host <address>', 'address to listen on (default: env HOST, else 127.0.0.1)'))
  .addOption(new Option('--port <number>', 'port to listen on (default: env PORT, else 4321)').argParser(parsePort))
  .action((flags: ClusterFlags & { host?: string; port?: number }) =>
    startPlatform({ ...choice(flags), host: flags.host ?? setting('HOST'), port: flags.port ?? setting('PORT') }),
  );

const labs = program.command('labs').description('check the course labs');

labs
  .command('validate')
  .description('check every lab in labs/ against the lab format, the grader and the course; report every mistake with its file, line and column')
  .action(() => labsValidateCommand());

labs
  .command('test')
  .description('prove labs: untouched they fail, solved by solution.sh in a learner shell they pass')
  .argument('[ids...]', 'labs to test (default: all)')
  .option('--json', 'print the results as JSON on stdout (progress and logs go to stderr)')
  .action((ids: string[], flags: { json?: boolean }) => labsTestCommand(ids, flags));

program
  .command('grade')
  .description("grade a lab in a namespace, for a learner, or for every learner of a workshop; or a workshop's exam sitting")
  .option('--lab <id>', 'the lab to grade')
  .option('--exam <id>', "the exam whose sitting to report, with --workshop (no cluster needed)")
  .option('--namespace <name>', 'the namespace holding the learner\'s work')
  .option('--learner <id>', 'grade this learner\'s namespace for the lab')
  .option('--workshop <code>', 'grade every learner of this workshop (JUnit: a test suite per learner)')
  .addOption(new Option('--format <format>', 'output format').choices(['text', 'json', 'junit']).default('text'))
  .option('--kubeconfig <file>', 'grade on the cluster of this kubeconfig (default: the cluster `cnlab cluster up` started)')
  .option('--context <name>', 'kubeconfig context, with --kubeconfig')
  .addHelpText(
    'after',
    `
Exit codes:
  0  every task passes (for --workshop: every learner passes every task; for --exam: every learner passed)
  1  some task does not pass (for --exam: someone has not submitted or did not pass)
  2  the cluster is unavailable: nothing was graded
  ${GRADE_USAGE_EXIT}  usage, or an unknown lab, exam, learner, namespace or workshop, a lab or exam that is not part of the workshop,
     an exam sitting that has not started,
     or a lab that cannot be graded as written (a lab error)`,
  )
  // A script must tell its own mistake from a learner's failure, so usage errors exit 3, not 1.
  .exitOverride((error) => {
    throw error;
  })
  .action((flags: GradeFlags) => gradeCommand(flags));

const workshop = program.command('workshop').description('instructor-led workshops');

workshop
  .command('create')
  .description('create a workshop and print its join code and link')
  .requiredOption('--title <text>', 'what learners see')
  .option('--labs <ids>', 'comma-separated lab ids the workshop covers')
  .option('--exams <ids>', 'comma-separated practice exams the class sits together (the instructor starts each sitting)')
  .option('--capacity <n>', 'most learners who may join', '40')
  .option('--starts <time>', 'start, ISO 8601 (default: now)')
  .option('--hours <n>', 'length in hours', '3')
  .option('--url <url>', 'the platform\'s address, for the join link', 'http://127.0.0.1:4321')
  .action((flags: WorkshopFlags) => workshopCreateCommand(flags));

program
  .command('grading-token')
  .description('print the bearer token of the grading API (POST /api/grade)')
  .action(() => gradingTokenCommand());

program
  .command('metrics-token')
  .description('print the bearer token of the Prometheus metrics (GET /metrics)')
  .action(() => metricsTokenCommand());

const images = program.command('images').description("the images the local cluster's node pulls, built from Debian packages");

images
  .command('list')
  .description('print the catalogue: every reference, its version and source, and whether it is built')
  .option('--json', 'print JSON')
  .action((flags: { json?: boolean }) => imagesListCommand(flags));

images
  .command('build')
  .description("build the catalogue into the cache (a registry storage), with the node toolchain its add-on images wrap, or check they are there")
  .action(() => imagesBuildCommand());

images
  .command('server')
  .description("build the platform's own server image (for the Helm chart) into the local cluster's registry, and push it to a registry")
  .option('--push <registry/repository>', 'also push it there over the OCI distribution API, e.g. ghcr.io/acme/cnlab-server (https; http:// to say otherwise; CNLAB_REGISTRY_USERNAME and CNLAB_REGISTRY_PASSWORD sign in)')
  .action((flags: { push?: string }) => imagesServerCommand(flags));

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new CnlabError(`"${value}" is not a port number`, 'use 1-65535');
  return port;
}

try {
  // Every setting is checked before any command runs: a bad value is named at once.
  readSettings();
  await program.parseAsync();
} catch (error) {
  // Commander has already said what was wrong (or printed the help, exit code 0).
  if (error instanceof CommanderError) process.exit(error.exitCode === 0 ? 0 : GRADE_USAGE_EXIT);
  if (!(error instanceof CnlabError)) throw error;
  process.stderr.write(`error: ${error.message}\n${error.hint ? `  what to do: ${error.hint}\n` : ''}`);
  process.exitCode = error.exitCode;
}
