import { dirname, join } from 'node:path';
import { loadKubeConfig, probeCluster } from '../cluster/health.ts';
import { cachedImages, catalogueBinaries, describeImages, ensureImages } from '../cluster/images/build.ts';
import { remoteRegistry } from '../cluster/images/registry.ts';
import { buildServerImage, pushFromStorage } from '../cluster/images/server-image.ts';
import { nodePreflight } from '../cluster/local/node/preflight.ts';
import { ensureNodeToolchain, ensureToolchain } from '../cluster/local/toolchain.ts';
import { clearRecord, readRecord } from '../cluster/record.ts';
import { currentProvider, type ProviderChoice } from '../cluster/select.ts';
import { CnlabError } from '../errors.ts';
import { GRADE_EXIT, gradeLearner, gradeLearners, gradeNamespace, unknownTarget } from '../labs/grade.ts';
import { loadLabs } from '../labs/load.ts';
import { LabsInvalid } from '../labs/problems.ts';
import { type CourseIndex, validateLabs } from '../labs/validate.ts';
import { contentDir, type Course, loadCourse } from '../course/load.ts';
import { formatProofs, proofPassed, proveLab } from '../labs/prove.ts';
import { formatGrade, formatWorkshopGrade, type GradeFormat } from '../labs/report.ts';
import { createSteps } from '../steps.ts';
import { openStore } from '../store/open.ts';
import { everyonePassed, formatSitting } from '../workshops/sitting-report.ts';
import { sittingResults } from '../workshops/sittings.ts';
import { createWorkshop } from '../workshops/workshops.ts';
import { loadExams } from '../exams/definition.ts';
import { cacheDir } from '../paths.ts';
import { setting } from '../settings.ts';
import { buildPlatform, clusterUp, gradingToken, metricsToken, practiceExams } from './platform.ts';
import { ensureSiteBuilt } from './site.ts';

// What each `cnlab` command does; server/cli.ts declares the commands and their flags.

const out = (text: string) => process.stdout.write(text);

export async function clusterUpCommand(choice: ProviderChoice): Promise<void> {
  const steps = createSteps();
  const access = await clusterUp(choice, steps);
  const health = await probeCluster(access);
  steps.info(`cluster ready (${access.provider}, ${health.version}, ${health.readyNodes} nodes) in ${steps.elapsed().toFixed(1)}s`);
}

export async function clusterBuildCommand(): Promise<void> {
  const steps = createSteps();
  const toolchain = await ensureToolchain(steps);
  const preflight = await nodePreflight();
  if (preflight.ok) {
    const node = await ensureNodeToolchain(steps);
    await ensureImages(steps, { binaries: catalogueBinaries(node, toolchain) });
  } else {
    steps.info(`the real node's runtime and images are not built: ${preflight.reason}`);
  }
  steps.info(`binaries ready in ${dirname(toolchain.kubectl)} and beside it (${steps.elapsed().toFixed(1)}s)`);
}

export async function clusterDownCommand(choice: ProviderChoice): Promise<void> {
  const steps = createSteps();
  const provider = await currentProvider(choice);
  if (!provider) {
    steps.info('no cluster is up');
    return;
  }
  await provider.down(steps);
  await clearRecord();
}

export async function clusterStatusCommand(flags: { json?: boolean }): Promise<void> {
  const access = await readRecord();
  const probed = access ? await probeCluster(access) : undefined;
  const components = access ? ((await (await currentProvider({}))?.components?.()) ?? []) : [];
  const failing = components.filter((component) => !component.healthy);
  // A cluster whose API answers but whose node runtime is broken runs nothing new: that is not healthy.
  const health =
    probed && probed.healthy && failing.length > 0
      ? { ...probed, healthy: false, message: `degraded: ${failing.map((component) => `${component.name} ${component.detail}`).join('; ')}` }
      : probed;
  if (flags.json) {
    out(`${JSON.stringify(health ? { ...health, components } : { healthy: false, message: 'no cluster is up' }, null, 2)}\n`);
  } else if (!health) {
    out('no cluster is up: run `cnlab cluster up`\n');
  } else {
    const rows: [string, string | number | undefined][] = [
      ['provider', health.provider],
      ['version', health.version ?? 'unknown'],
      ['api', health.apiUrl],
      ['nodes', `${health.nodes} (${health.readyNodes} Ready)`],
      ['health', health.healthy ? 'healthy' : `unhealthy: ${health.message}`],
    ];
    for (const [key, value] of rows) out(`${`${key}:`.padEnd(10)}${value}\n`);
    if (components.length > 0) {
      out('components:\n');
      const width = Math.max(...components.map((component) => component.name.length));
      for (const component of components) {
        out(`  ${component.name.padEnd(width)}  ${component.healthy ? 'ok ' : 'BAD'}  ${component.detail}${component.log ? `  (log: ${component.log})` : ''}\n`);
      }
    }
  }
  process.exitCode = health?.healthy ? 0 : 1;
}

export async function clusterKubeconfigCommand(): Promise<void> {
  const access = await readRecord();
  if (!access) throw new CnlabError('no cluster is up', 'run `cnlab cluster up` first');
  if (access.inCluster) throw new CnlabError(`this pod reaches its cluster with its ServiceAccount (${access.kubeconfig}), not a kubeconfig file`, 'kubectl in the pod finds the same credentials by itself');
  out(`${access.kubeconfig}\n`);
}

/** What the lab validator needs of the course: its lessons and its outline. */
export function courseIndex(course: Course): CourseIndex {
  return {
    lessons: course.lessons,
    curriculum: course.curriculum.modules.flatMap((module) => module.items),
    curriculumFile: join(contentDir, 'curriculum.yaml'),
  };
}

export async function labsValidateCommand(): Promise<void> {
  const { labs, problems } = await validateLabs(courseIndex(await loadCourse()));
  if (problems.length > 0) throw new LabsInvalid(problems);
  out(`${labs.length} labs are valid: ${labs.map((lab) => lab.definition.id).join(', ')}\n`);
}

export async function labsTestCommand(ids: string[], flags: { json?: boolean }): Promise<void> {
  const steps = createSteps();
  const all = await loadLabs();
  const unknown = ids.filter((id) => !all.some((lab) => lab.definition.id === id));
  if (unknown.length > 0) throw new CnlabError(`no lab named ${unknown.join(', ')}`, `labs are: ${all.map((lab) => lab.definition.id).join(', ')}`);
  const chosen = ids.length > 0 ? all.filter((lab) => ids.includes(lab.definition.id)) : all;
  const access = await clusterUp({}, steps);
  const platform = await buildPlatform(access, steps, {});
  const proofs = [];
  try {
    // One lab at a time: each starts a shell and rolls out workloads, and the table should
    // show each lab's own time.
    for (const lab of chosen) proofs.push(await steps.step(`lab ${lab.definition.id}`, () => proveLab(platform.kc, platform.sessions, lab)));
  } finally {
    await platform.stop();
  }
  out(flags.json ? `${JSON.stringify(proofs, null, 2)}\n` : `${formatProofs(proofs)}\n`);
  if (!proofs.every(proofPassed)) process.exitCode = 1;
}

export type GradeFlags = { lab?: string; exam?: string; namespace?: string; learner?: string; workshop?: string; format: GradeFormat; kubeconfig?: string; context?: string };

/** `cnlab grade`'s exit code for a usage mistake, which commander reports itself. */
export const GRADE_USAGE_EXIT = GRADE_EXIT.usage;

export async function gradeCommand(flags: GradeFlags): Promise<void> {
  if (Boolean(flags.lab) === Boolean(flags.exam)) throw unknownTarget('name what to grade with one of --lab or --exam', 'for example: cnlab grade --lab service-endpoints --learner ID, or cnlab grade --exam kcna --workshop CODE');
  if (flags.exam) return gradeSittingCommand(flags.exam, flags);
  if ([flags.namespace, flags.learner, flags.workshop].filter(Boolean).length !== 1) {
    throw unknownTarget('name what to grade with one of --namespace, --learner or --workshop', 'for example: cnlab grade --lab service-endpoints --namespace lab-1a2b3c4d5e');
  }
  const lab = (await loadLabs()).find((candidate) => candidate.definition.id === flags.lab);
  if (!lab) throw unknownTarget(`no lab named ${flags.lab}`, 'run `cnlab labs validate` to list the labs');
  const access = flags.kubeconfig ? { provider: 'kubeconfig' as const, kubeconfig: flags.kubeconfig, ...(flags.context ? { context: flags.context } : {}) } : await readRecord();
  if (!access) throw new CnlabError('no cluster is up', 'run `cnlab cluster up`, or name a cluster with --kubeconfig', { exitCode: GRADE_EXIT.unavailable });
  let kc;
  try {
    kc = loadKubeConfig(access);
  } catch (error) {
    throw unknownTarget(`the kubeconfig ${access.kubeconfig} cannot be used: ${(error as Error).message}`, 'name a readable kubeconfig file with --kubeconfig');
  }
  if (flags.workshop) {
    const code = flags.workshop.toUpperCase();
    const store = await openStore();
    try {
      const found = await store.workshopByCode(code);
      if (!found) throw unknownTarget(`no workshop with the code ${code}`, 'the code is the one `cnlab workshop create` printed');
      if (!found.labs.includes(lab.definition.id)) throw unknownTarget(`lab ${lab.definition.id} is not part of workshop ${code}`, `its labs are: ${found.labs.join(', ')}`);
      const members = await store.workshopMembers(found);
      const learners = members.map(({ learner, name }) => ({ learner, name })).sort((a, b) => a.name.localeCompare(b.name));
      const grades = await gradeLearners(kc, lab, learners);
      out(`${formatWorkshopGrade(grades, { code, title: found.title }, lab, flags.format)}\n`);
      if (!grades.every((grade) => grade.result?.passed)) process.exitCode = 1;
    } finally {
      await store.close();
    }
    return;
  }
  const result = flags.namespace ? await gradeNamespace(kc, lab, flags.namespace) : await gradeLearner(kc, lab, String(flags.learner));
  out(`${formatGrade(result, lab.definition.title, flags.format)}\n`);
  if (!result.passed) process.exitCode = 1;
}

/** `cnlab grade --exam ID --workshop CODE`: the class sitting's results; no cluster is needed. */
async function gradeSittingCommand(examId: string, flags: GradeFlags): Promise<void> {
  if (!flags.workshop || flags.namespace || flags.learner) throw unknownTarget('an exam is graded for a workshop: name it with --workshop', `for example: cnlab grade --exam ${examId} --workshop CODE`);
  const exam = (await loadExams()).get(examId);
  if (!exam) throw unknownTarget(`no exam named ${examId}`, 'exams are the folders of exams/');
  const code = flags.workshop.toUpperCase();
  const store = await openStore();
  try {
    const found = await store.workshopByCode(code);
    if (!found) throw unknownTarget(`no workshop with the code ${code}`, 'the code is the one `cnlab workshop create` printed');
    if (!found.exams.includes(exam.id)) throw unknownTarget(`exam ${exam.id} is not part of workshop ${code}`, `its exams are: ${found.exams.join(', ') || '(none)'}`);
    const startedAt = (await store.sittings(found)).get(exam.id);
    if (!startedAt) throw unknownTarget(`the sitting of ${exam.id} in workshop ${code} has not started`, 'its instructor starts it from the workshop dashboard');
    const members = (await store.workshopMembers(found)).map(({ learner, name }) => ({ learner, name })).sort((a, b) => a.name.localeCompare(b.name));
    const results = await sittingResults(await practiceExams(await loadCourse(), store), exam, members, startedAt);
    out(`${formatSitting(results, found, exam, startedAt, flags.format)}
`);
    if (!everyonePassed(results)) process.exitCode = 1;
  } finally {
    await store.close();
  }
}

export type WorkshopFlags = { title: string; labs?: string; exams?: string; capacity: string; starts?: string; hours: string; url: string };

export async function workshopCreateCommand(flags: WorkshopFlags): Promise<void> {
  const ids = (list: string | undefined) => (list ?? '').split(',').map((id) => id.trim()).filter(Boolean);
  const labs = ids(flags.labs);
  const exams = ids(flags.exams);
  if (labs.length === 0 && exams.length === 0) throw new CnlabError('a workshop needs labs, exams or both', 'name them with --labs a,b and --exams kcna');
  const knownLabs = new Set((await loadLabs()).map((lab) => lab.definition.id));
  const unknownLabs = labs.filter((id) => !knownLabs.has(id));
  if (unknownLabs.length > 0) throw new CnlabError(`unknown labs: ${unknownLabs.join(', ')}`, `labs are: ${[...knownLabs].join(', ')}`);
  const knownExams = await loadExams();
  const unknownExams = exams.filter((id) => !knownExams.has(id));
  if (unknownExams.length > 0) throw new CnlabError(`unknown exams: ${unknownExams.join(', ')}`, `exams are: ${[...knownExams.keys()].join(', ')}`);
  const capacity = Number(flags.capacity);
  const hours = Number(flags.hours);
  const startsAt = flags.starts ? new Date(flags.starts) : new Date();
  if (!Number.isInteger(capacity) || capacity < 1 || !(hours > 0) || Number.isNaN(startsAt.getTime())) {
    throw new CnlabError('--capacity must be a whole number above 0, --hours a positive number and --starts a date', 'for example: --capacity 40 --hours 3 --starts 2026-12-01T09:00:00Z');
  }
  const store = await openStore();
  try {
    const created = await createWorkshop(store, { title: flags.title, labs, exams, capacity, startsAt, endsAt: new Date(startsAt.getTime() + hours * 3600_000) });
    out(
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
}

export async function gradingTokenCommand(): Promise<void> {
  out(`${await gradingToken()}\n`);
}

export async function metricsTokenCommand(): Promise<void> {
  out(`${await metricsToken()}\n`);
}

export async function imagesListCommand(flags: { json?: boolean }): Promise<void> {
  const rows = await describeImages();
  if (flags.json) {
    const json = rows.map(({ image, source, built }) => ({ references: image.references, version: image.version, source, built: built ? { digest: built.digest, size: built.size } : null }));
    out(`${JSON.stringify(json, null, 2)}\n`);
    return;
  }
  const width = Math.max(...rows.flatMap(({ image }) => image.references.map((reference) => reference.length)));
  for (const { image, source, built } of rows) {
    const state = built ? `built ${(built.size / 1e6).toFixed(1)} MB` : 'not built';
    for (const reference of image.references) out(`${reference.padEnd(width)}  ${image.version.padEnd(8)}  ${state.padEnd(15)}  ${source}\n`);
  }
}

export async function imagesBuildCommand(): Promise<void> {
  const steps = createSteps();
  // The add-ons' images wrap binaries of the node toolchain, the shell image the toolchain's kubectl: built first if need be.
  const cache = await ensureImages(steps, { binaries: catalogueBinaries(await ensureNodeToolchain(steps), await ensureToolchain(steps)) });
  steps.info(`${cache.catalogue.length} images ready in ${cache.storageDir} (${steps.elapsed().toFixed(1)}s)`);
}

/** `--push REGISTRY/REPOSITORY`: https unless the URL says http:// (a registry on a trusted network). */
function pushTarget(push: string): { base: string; repository: string } {
  const url = new URL(/^https?:\/\//.test(push) ? push : `https://${push}`);
  const repository = url.pathname.replace(/^\/+|\/+$/g, '');
  if (!/^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/.test(repository)) {
    throw new CnlabError(`--push ${push} names no repository`, 'give the registry and repository, e.g. --push ghcr.io/acme/cnlab-server (the tag is the version)');
  }
  return { base: url.origin, repository };
}

export async function imagesServerCommand(flags: { push?: string }): Promise<void> {
  const steps = createSteps();
  const target = flags.push ? pushTarget(flags.push) : undefined;
  await ensureSiteBuilt(steps);
  // Into the local cluster's registry, which its node pulls docker.io from; without a catalogue, a storage of its own.
  const catalogue = await cachedImages();
  const storageDir = catalogue?.storageDir ?? join(cacheDir(), 'images', 'platform', 'registry');
  const built = await buildServerImage(steps, storageDir);
  const reference = built.references[0] ?? '';
  steps.info(`${reference} (${built.digest}, ${(built.size / 1e6).toFixed(1)} MB compressed) is in ${catalogue ? "the local cluster's registry: its pods pull it by that name" : storageDir}`);
  if (!target) return;
  const username = setting('CNLAB_REGISTRY_USERNAME');
  const password = setting('CNLAB_REGISTRY_PASSWORD');
  const registry = remoteRegistry(target.base, username !== undefined ? { username, password: password ?? '' } : undefined);
  const digest = await steps.step(`push to ${registry.name}/${target.repository}`, () =>
    pushFromStorage(storageDir, { repository: built.image.repository, tag: built.image.version }, registry, target.repository, built.image.tags),
  );
  steps.info(`pushed ${registry.name}/${target.repository}:${built.image.version} (${digest}): helm install … --set image.registry=${registry.name} --set image.repository=${target.repository}`);
}
