#!/usr/bin/env node
import { dirname } from 'node:path';
import { Command, Option } from 'commander';
import { loadKubeConfig, probeCluster } from './cluster/health.ts';
import { ensureToolchain } from './cluster/local/toolchain.ts';
import { clearRecord, readRecord, writeRecord } from './cluster/record.ts';
import { chooseProvider, currentProvider, type ProviderChoice } from './cluster/select.ts';
import { CnlabError } from './errors.ts';
import { loadLabs } from './labs/load.ts';
import { gradeLearners, gradeNamespace } from './labs/grade.ts';
import { formatProofs, proofPassed, proveLab } from './labs/prove.ts';
import { formatGrade, formatWorkshopGrade, type GradeFormat } from './labs/report.ts';
import { gradingToken } from './http/grading-api.ts';
import { stateDir } from './paths.ts';
import { learnerNamespace } from './sessions/provision.ts';
import { createSteps } from './steps.ts';
import { sessionManagerFor } from './sessions/for-cluster.ts';
import { openStore } from './store/open.ts';
import { createWorkshop } from './workshops/workshops.ts';
import { startPlatform } from './start.ts';

const program = new Command('cnlab').description('cnlab: Kubernetes courses with a real cluster behind every lesson');

const providerOption = () =>
  new Option('-p, --provider <name>', 'cluster provider: auto, local, kind or kubeconfig (env CNLAB_PROVIDER)');
const contextOption = () => new Option('--context <name>', 'kubeconfig context, for the kubeconfig provider');

type ClusterFlags = { provider?: string; context?: string };
const choice = (flags: ClusterFlags): ProviderChoice => ({ requested: flags.provider, context: flags.context });

const cluster = program.command('cluster').description('bring the Kubernetes cluster up or down, or inspect it');

cluster
  .command('up')
  .description('start the cluster (building the local control plane on first use) and wait until it is healthy')
  .addOption(providerOption())
  .addOption(contextOption())
  .action(async (flags: ClusterFlags) => {
    const progress = createSteps();
    const provider = await chooseProvider(choice(flags), progress);
    const access = await provider.up(progress);
    await writeRecord(access);
    const health = await probeCluster(access);
    progress.info(`cluster ready (${provider.name}, ${health.version}, ${health.readyNodes} nodes) in ${progress.elapsed().toFixed(1)}s`);
  });

cluster
  .command('build')
  .description("build the local provider's Kubernetes, etcd and kwok binaries into the cache, or check they are there")
  .action(async () => {
    const progress = createSteps();
    const toolchain = await ensureToolchain(progress);
    progress.info(`binaries ready in ${dirname(toolchain.kubectl)} and beside it (${progress.elapsed().toFixed(1)}s)`);
  });

cluster
  .command('down')
  .description('stop the cluster and leave nothing running')
  .addOption(providerOption())
  .action(async (flags: ClusterFlags) => {
    const progress = createSteps();
    const provider = await currentProvider(choice(flags));
    if (!provider) {
      progress.info('no cluster is up');
      return;
    }
    await provider.down(progress);
    await clearRecord();
  });

cluster
  .command('status')
  .description('print provider, version, API URL, node count and health; exits 1 unless healthy')
  .option('--json', 'print JSON')
  .action(async (flags: { json?: boolean }) => {
    const access = await readRecord();
    const health = access ? await probeCluster(access) : undefined;
    if (flags.json) {
      process.stdout.write(`${JSON.stringify(health ?? { healthy: false, message: 'no cluster is up' }, null, 2)}\n`);
    } else if (!health) {
      process.stdout.write('no cluster is up: run `cnlab cluster up`\n');
    } else {
      const rows: [string, string | number | undefined][] = [
        ['provider', health.provider],
        ['version', health.version ?? 'unknown'],
        ['api', health.apiUrl],
        ['nodes', `${health.nodes} (${health.readyNodes} Ready)`],
        ['health', health.healthy ? 'healthy' : `unhealthy: ${health.message}`],
      ];
      for (const [key, value] of rows) process.stdout.write(`${`${key}:`.padEnd(10)}${value}\n`);
    }
    process.exitCode = health?.healthy ? 0 : 1;
  });

cluster
  .command('kubeconfig')
  .description('print the path of the admin kubeconfig (export KUBECONFIG=$(cnlab cluster kubeconfig))')
  .action(async () => {
    const access = await readRecord();
    if (!access) throw new CnlabError('no cluster is up', 'run `cnlab cluster up` first');
    process.stdout.write(`${access.kubeconfig}\n`);
  });

program
  .command('start')
  .description('bring the cluster up, build the course site if needed, and serve the platform')
  .addOption(providerOption())
  .addOption(contextOption())
  .addOption(new Option('--host <address>', 'address to listen on').env('HOST').default('127.0.0.1'))
  .addOption(new Option('--port <number>', 'port to listen on').env('PORT').default('4321').argParser(parsePort))
  .action(async (flags: ClusterFlags & { host: string; port: number | string }) => {
    await startPlatform({ ...choice(flags), host: flags.host, port: Number(flags.port) });
  });

const labs = program.command('labs').description('check the course labs');

labs
  .command('validate')
  .description('load every lab in labs/ and report the first malformed file with its line')
  .action(async () => {
    const loaded = await loadLabs();
    process.stdout.write(`${loaded.length} labs are valid: ${loaded.map((lab) => lab.definition.id).join(', ')}\n`);
  });

labs
  .command('test')
  .description('prove labs: untouched they fail, solved by solution.sh in a learner shell they pass')
  .argument('[ids...]', 'labs to test (default: all)')
  .option('--json', 'print the results as JSON')
  .action(async (ids: string[], flags: { json?: boolean }) => {
    const progress = createSteps();
    const all = await loadLabs();
    const unknown = ids.filter((id) => !all.some((lab) => lab.definition.id === id));
    if (unknown.length > 0) throw new CnlabError(`no lab named ${unknown.join(', ')}`, `labs are: ${all.map((lab) => lab.definition.id).join(', ')}`);
    const chosen = ids.length > 0 ? all.filter((lab) => ids.includes(lab.definition.id)) : all;
    const provider = await chooseProvider({}, progress);
    const access = await provider.up(progress);
    await writeRecord(access);
    const store = await openStore();
    const { sessions } = await sessionManagerFor(access, progress, store);
    const kc = loadKubeConfig(access);
    const proofs = [];
    try {
      // One lab at a time: each starts a shell and rolls out workloads, and the table should
      // show each lab's own time.
      for (const lab of chosen) proofs.push(await progress.step(`lab ${lab.definition.id}`, () => proveLab(kc, sessions, lab)));
    } finally {
      await sessions.stop();
      await store.close();
    }
    process.stdout.write(flags.json ? `${JSON.stringify(proofs, null, 2)}\n` : `${formatProofs(proofs)}\n`);
    if (!proofs.every(proofPassed)) process.exitCode = 1;
  });

program
  .command('grade')
  .description('grade a lab in a namespace, for a learner, or for every learner of a workshop; exit 0 only when every task passes, 1 when some do not, 2 when the cluster is unavailable')
  .requiredOption('--lab <id>', 'the lab to grade')
  .option('--namespace <name>', 'the namespace holding the learner\'s work')
  .option('--learner <id>', 'grade this learner\'s namespace for the lab')
  .option('--workshop <code>', 'grade every learner of this workshop (JUnit: a test suite per learner)')
  .addOption(new Option('--format <format>', 'output format').choices(['text', 'json', 'junit']).default('text'))
  .option('--kubeconfig <file>', 'grade on the cluster of this kubeconfig (default: the cluster `cnlab cluster up` started)')
  .option('--context <name>', 'kubeconfig context, with --kubeconfig')
  .action(async (flags: { lab: string; namespace?: string; learner?: string; workshop?: string; format: GradeFormat; kubeconfig?: string; context?: string }) => {
    if ([flags.namespace, flags.learner, flags.workshop].filter(Boolean).length !== 1) {
      throw new CnlabError('name what to grade with one of --namespace, --learner or --workshop', 'for example: cnlab grade --lab service-endpoints --namespace lab-1a2b3c4d5e');
    }
    const lab = (await loadLabs()).find((candidate) => candidate.definition.id === flags.lab);
    if (!lab) throw new CnlabError(`no lab named ${flags.lab}`, 'run `cnlab labs validate` to list the labs');
    const access = flags.kubeconfig ? { provider: 'kubeconfig' as const, kubeconfig: flags.kubeconfig, ...(flags.context ? { context: flags.context } : {}) } : await readRecord();
    if (!access) throw new CnlabError('no cluster is up', 'run `cnlab cluster up`, or name a cluster with --kubeconfig');
    const kc = loadKubeConfig(access);
    if (flags.workshop) {
      const code = flags.workshop.toUpperCase();
      const store = await openStore();
      try {
        const found = await store.workshopByCode(code);
        if (!found) throw new CnlabError(`no workshop with the code ${code}`, 'the code is the one `cnlab workshop create` printed');
        const members = await store.workshopMembers(found);
        const learners = members.map(({ learner, name }) => ({ learner, name })).sort((a, b) => a.name.localeCompare(b.name));
        const grades = await gradeLearners(kc, lab, learners);
        process.stdout.write(`${formatWorkshopGrade(grades, { code, title: found.title }, lab, flags.format)}\n`);
        if (!grades.every((grade) => grade.result?.passed)) process.exitCode = 1;
      } finally {
        await store.close();
      }
      return;
    }
    const namespace = flags.namespace ?? (await learnerNamespace(kc, String(flags.learner), lab.definition.id));
    if (!namespace) throw new CnlabError(`learner ${flags.learner} has no namespace for lab ${lab.definition.id}`, 'the learner has to open the lab once');
    const result = await gradeNamespace(kc, lab, namespace);
    process.stdout.write(`${formatGrade(result, lab.definition.title, flags.format)}\n`);
    if (!result.passed) process.exitCode = 1;
  });

const workshop = program.command('workshop').description('instructor-led workshops');

workshop
  .command('create')
  .description('create a workshop and print its join code and link')
  .requiredOption('--title <text>', 'what learners see')
  .requiredOption('--labs <ids>', 'comma-separated lab ids the workshop covers')
  .option('--capacity <n>', 'most learners who may join', '40')
  .option('--starts <time>', 'start, ISO 8601 (default: now)')
  .option('--hours <n>', 'length in hours', '3')
  .option('--url <url>', 'the platform\'s address, for the join link', 'http://127.0.0.1:4321')
  .action(async (flags: { title: string; labs: string; capacity: string; starts?: string; hours: string; url: string }) => {
    const known = new Set((await loadLabs()).map((lab) => lab.definition.id));
    const labs = flags.labs.split(',').map((id) => id.trim()).filter(Boolean);
    const unknown = labs.filter((id) => !known.has(id));
    if (labs.length === 0 || unknown.length > 0) throw new CnlabError(`unknown labs: ${unknown.join(', ') || '(none given)'}`, `labs are: ${[...known].join(', ')}`);
    const capacity = Number(flags.capacity);
    const hours = Number(flags.hours);
    const startsAt = flags.starts ? new Date(flags.starts) : new Date();
    if (!Number.isInteger(capacity) || capacity < 1 || !(hours > 0) || Number.isNaN(startsAt.getTime())) {
      throw new CnlabError('--capacity must be a whole number above 0, --hours a positive number and --starts a date', 'for example: --capacity 40 --hours 3 --starts 2026-12-01T09:00:00Z');
    }
    const store = await openStore();
    try {
      const created = await createWorkshop(store, { title: flags.title, labs, capacity, startsAt, endsAt: new Date(startsAt.getTime() + hours * 3600_000) });
      process.stdout.write(
        [
          `workshop:         ${created.workshop.title}`,
          `join code:        ${created.workshop.code}`,
          `join link:        ${new URL(`/workshop/join/?code=${created.workshop.code}`, flags.url).href}`,
          `runs:             ${startsAt.toISOString()} to ${created.workshop.endsAt.toISOString()}, up to ${capacity} learners`,
          `dashboard:        ${new URL(`/workshop/dashboard/?code=${created.workshop.code}#${created.instructorToken}`, flags.url).href}`,
          `instructor token: ${created.instructorToken}  (shown once; keep it and the dashboard link secret)`,
          '',
        ].join('\n'),
      );
    } finally {
      await store.close();
    }
  });

program
  .command('grading-token')
  .description('print the bearer token of the grading API (POST /api/grade)')
  .action(async () => {
    process.stdout.write(`${await gradingToken(stateDir())}\n`);
  });

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new CnlabError(`"${value}" is not a port number`, 'use 1-65535');
  return port;
}

try {
  await program.parseAsync();
} catch (error) {
  if (!(error instanceof CnlabError)) throw error;
  process.stderr.write(`error: ${error.message}\n${error.hint ? `  what to do: ${error.hint}\n` : ''}`);
  process.exitCode = error.exitCode;
}
