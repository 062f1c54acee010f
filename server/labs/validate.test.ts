// `cnlab labs validate` on malformed labs: every mistake the validator can know, all of them in
// one run, each at its file, line and column, with the near miss where there is one.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadCourse } from '../course/load.ts';
import { courseIndex } from '../app/commands.ts';
import { formatProblem } from './problems.ts';
import { type CourseIndex, validateLabs } from './validate.ts';

const course: CourseIndex = {
  lessons: new Map([['fundamentals/pods', { file: join(tmpdir(), 'pods.mdx'), labs: ['sample', 'second'] }]]),
  curriculum: [{ lesson: 'fundamentals/pods', labs: ['sample', 'second'] }],
  curriculumFile: join(tmpdir(), 'curriculum.yaml'),
};

const lab = (checks: string, extra = '') => `id: sample
title: A sample
lesson: fundamentals/pods
intro: Something to do.${extra}
tasks:
  - id: one
    title: Make it
    instructions: Create ConfigMap demo.
    checks:
${checks}`;

/** A labs/ folder with the given labs, each a map of file name to text. */
async function labsRoot(labs: Record<string, Record<string, string>>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'cnlab-validate-'));
  for (const [id, files] of Object.entries(labs)) {
    await mkdir(join(root, id, 'setup'), { recursive: true });
    for (const [name, text] of Object.entries({ 'solution.sh': 'true\n', ...files })) await writeFile(join(root, id, name), text);
  }
  return root;
}

/** The problems of one run, as the CLI prints them, with the temporary folder left out. */
async function problems(labs: Record<string, Record<string, string>>): Promise<string[]> {
  const root = await labsRoot(labs);
  const result = await validateLabs(course, root);
  return result.problems.map((problem) => formatProblem(problem).replace(/^.*?cnlab-validate-[^/]+\//, ''));
}

test('a valid lab has no problems', async () => {
  const found = await problems({ sample: { 'lab.yaml': lab('      - check: exists\n        object: ConfigMap/demo\n') } });
  assert.deepEqual(found, []);
});

test('every mistake of every lab is reported in one run, each with its line and column', async () => {
  const found = await problems({
    sample: {
      'lab.yaml': lab(
        [
          '      - check: feild',
          '        object: ConfigMap/demo',
          '      - check: exists',
          '        object: Deploymnet/web',
          '      - check: field',
          '        object: Deployment/web',
          '        path: spec..replicas',
          '        label: replicas',
          '        equals: 2',
          '      - check: field',
          '        object: Deployment/web',
          '        path: spec.replicas',
          '        lable: replicas',
          '        equals: 2',
          '',
        ].join('\n'),
      ),
    },
    second: { 'lab.yaml': lab('      - check: ready\n        object: Service/web\n').replace('id: sample', 'id: second') },
  });
  assert.deepEqual(found, [
    'second/lab.yaml:11:17: tasks[0].checks[0].object: a ready check reads Deployment, StatefulSet, DaemonSet, not Service',
    'sample/lab.yaml:10:16: tasks[0].checks[0].check: check must be one of exists, absent, field, containers, count, ready, jobComplete, serviceEndpoints, ingressRoute, access, rolledOut, logs, state, custom; did you mean field?',
    'sample/lab.yaml:13:17: tasks[0].checks[1].object: the grader knows no kind Deploymnet; did you mean Deployment? (the kinds are listed in labs/README.md)',
    'sample/lab.yaml:16:20: tasks[0].checks[2].path: two dots in a row: a name is missing between them (labs/README.md, "Paths")',
    'sample/lab.yaml:22:9: tasks[0].checks[3]: unknown field lable; did you mean label?',
    'sample/lab.yaml:19:9: tasks[0].checks[3]: give a label, the words a learner reads instead of the path spec.replicas',
  ].sort(byLab));
});

/** Labs in folder order, each lab's problems by line, as validateLabs reports them. */
function byLab(a: string, b: string): number {
  const [fileA = '', lineA = '0', columnA = '0'] = a.split(':');
  const [fileB = '', lineB = '0', columnB = '0'] = b.split(':');
  return fileA.localeCompare(fileB) || Number(lineA) - Number(lineB) || Number(columnA) - Number(columnB);
}

test('paths follow the grammar; [*] points to anyItem and everyItem', async () => {
  const found = await problems({
    sample: {
      'lab.yaml': lab(
        [
          '      - check: field',
          '        object: Pod/web',
          '        path: spec.containers[*].image',
          '        label: image',
          '        equals: nginx:1.26',
          '      - check: field',
          '        object: Pod/web',
          '        path: sepc.nodeName',
          '        label: node',
          '        exists: true',
          '      - check: containers',
          '        object: Pod/web',
          '        any:',
          '          - path: spec.containers[0].image',
          '            label: image',
          '            equals: nginx:1.26',
          '      - check: field',
          '        object: Pod/web',
          '        path: spec.volumes',
          '        label: volumes',
          '        anyItem:',
          '          - path: configMap.name[x',
          '            label: the ConfigMap',
          '            equals: app',
          '',
        ].join('\n'),
      ),
    },
  });
  assert.deepEqual(found, [
    'sample/lab.yaml:12:31: tasks[0].checks[0].path: [*] selects no single item: to test some item or every item of a list, use the anyItem or everyItem operator (labs/README.md, "Paths")',
    'sample/lab.yaml:17:15: tasks[0].checks[1].path: objects have no top-level field sepc; did you mean spec?',
    'sample/lab.yaml:23:19: tasks[0].checks[2].any[0].path: a containers check reads each path from one container (image, resources.limits.cpu), so it cannot start with spec',
    'sample/lab.yaml:31:33: tasks[0].checks[3].anyItem[0].path: "[" is never closed with "]" (labs/README.md, "Paths")',
  ]);
});

test('selectors are parsed with the whole label-selector syntax', async () => {
  const found = await problems({
    sample: {
      'lab.yaml': lab(
        [
          '      - check: count',
          '        kind: Pod',
          '        selector: app in (web,api),!legacy,tier!=db',
          '        equals: 2',
          '      - check: count',
          '        kind: Pods',
          '        selector: "app in web"',
          '        equals: 2',
          '',
        ].join('\n'),
      ),
    },
  });
  assert.deepEqual(found, [
    'sample/lab.yaml:15:15: tasks[0].checks[1].kind: the grader knows no kind Pods; did you mean Pod? (the kinds are listed in labs/README.md)',
    'sample/lab.yaml:16:27: tasks[0].checks[1].selector: "in" takes a list in parentheses: app in (a,b) (a Kubernetes label selector: app=web,tier!=db,env in (a,b),!legacy)',
  ]);
});

test('patterns need words for the learner, and access checks name real verbs and resources', async () => {
  const found = await problems({
    sample: {
      'lab.yaml': lab(
        [
          '      - check: field',
          '        object: Pod/web',
          '        path: spec.containers[name=web].image',
          '        label: image',
          "        matches: '^nginx:1\\.26'",
          '      - check: access',
          '        serviceAccount: bot',
          '        verb: lsit',
          '        resource: Pod',
          '        allowed: true',
          '      - check: access',
          '        serviceAccount: bot',
          '        verb: get',
          '        resource: pods/log',
          '        allowed: false',
          '',
        ].join('\n'),
      ),
    },
  });
  assert.deepEqual(found, [
    'sample/lab.yaml:14:18: tasks[0].checks[0].matches: give describe, the words a learner reads instead of the pattern (e.g. describe: an nginx 1.22 image)',
    'sample/lab.yaml:17:15: tasks[0].checks[1].verb: lsit is not an API verb; did you mean list?',
    'sample/lab.yaml:18:19: tasks[0].checks[1].resource: resources are named in the plural, in lowercase; did you mean pods?',
    'sample/lab.yaml:23:19: tasks[0].checks[2].resource: write the subresource apart: resource: pods and subresource: log',
  ]);
});

test('behaviour checks read Pods, and a log pattern needs words for the learner', async () => {
  const found = await problems({
    sample: {
      'lab.yaml': lab(
        [
          '      - check: logs',
          '        object: Deployment/web',
          '        contains: GET /',
          '      - check: logs',
          '        object: Pod/web',
          "        matches: 'GET /cart \\d+'",
          '      - check: state',
          '        object: Pod/web',
          '        container: web',
          '        reason: CrashLoopBackOff',
          '        restartsAtMost: 0',
          '',
        ].join('\n'),
      ),
    },
  });
  assert.deepEqual(found, [
    'sample/lab.yaml:11:17: tasks[0].checks[0].object: a logs check reads Pod, not Deployment',
    'sample/lab.yaml:13:9: tasks[0].checks[1].matches: give describe, the words a learner reads instead of the pattern (e.g. describe: a request for /cart)'.replace(':13:9:', ':15:18:'),
    'sample/lab.yaml:16:9: tasks[0].checks[2]: a reason belongs to state waiting or terminated',
  ]);
});

test('custom checks must name a function checks.ts exports', async () => {
  const custom = (name: string) => `      - check: custom\n        name: ${name}\n        description: d\n        reads: [ConfigMap]\n`;
  const checks = "export const tokenFromSecret = () => ({ ok: true, message: 'ok' });\nexport const limit = 3;\n";
  const found = await problems({
    sample: { 'lab.yaml': lab(custom('tokenFromSecrets') + custom('tokenFromSecret')), 'checks.ts': checks },
    second: { 'lab.yaml': lab(custom('anything')).replace('id: sample', 'id: second') },
  });
  assert.equal(found.length, 2, found.join('\n'));
  assert.match(found[0] ?? '', /^sample\/lab\.yaml:11:15: custom check tokenFromSecrets: .*sample\/checks\.ts exports no function tokenFromSecrets; did you mean tokenFromSecret\? \(it exports tokenFromSecret\)$/);
  assert.equal(found[1], 'second/lab.yaml:11:15: custom check anything: the lab has no checks.ts to export it');
});

test('the lesson must exist and name the lab, in its front matter and in the outline', async () => {
  const found = await problems({
    sample: { 'lab.yaml': lab('      - check: exists\n        object: ConfigMap/demo\n').replace('fundamentals/pods', 'fundamentals/podz') },
    third: { 'lab.yaml': lab('      - check: exists\n        object: ConfigMap/demo\n').replace('id: sample', 'id: third') },
  });
  assert.equal(found.length, 3, found.join('\n'));
  assert.match(found[0] ?? '', /^sample\/lab\.yaml:3:9: lesson fundamentals\/podz is no lesson of the course \(content\/fundamentals\/podz\.mdx\); did you mean fundamentals\/pods\?$/);
  assert.match(found[1] ?? '', /^third\/lab\.yaml:3:9: lesson fundamentals\/pods does not name this lab: add third to the labs of .*pods\.mdx's front matter$/);
  assert.match(found[2] ?? '', /^third\/lab\.yaml:3:9: .*curriculum\.yaml does not list this lab: add third to the labs of an item of lesson fundamentals\/pods$/);
});

test('setup objects must be namespaced kinds the learner can see and a reset removes', async () => {
  const setup = [
    'apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata:\n  name: fast\nprovisioner: example.com/fast',
    'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: other',
    'apiVersion: apps/v1beta1\nkind: Deployment\nmetadata:\n  name: web',
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: fine',
  ].join('\n---\n');
  const found = await problems({ sample: { 'lab.yaml': lab('      - check: exists\n        object: ConfigMap/demo\n'), 'setup/objects.yaml': setup } });
  assert.deepEqual(found, [
    "sample/setup/objects.yaml:1:1: StorageClass is cluster-wide: a setup object must live in the learner's namespace, where a reset deletes it",
    found[1] ?? '',
    'sample/setup/objects.yaml:12:1: Deployment is served as apiVersion apps/v1, not apps/v1beta1',
  ]);
  assert.match(found[1] ?? '', /^sample\/setup\/objects\.yaml:7:1: kind Namespace cannot be set up: the kinds a learner's namespace holds are Pod, Service/);
});

test("the course's own labs validate against the real course", async () => {
  const { labs, problems: found } = await validateLabs(courseIndex(await loadCourse()));
  assert.deepEqual(found.map(formatProblem), []);
  assert.ok(labs.length >= 20, `${labs.length} labs`);
});

test('labs/README.md lists exactly the kinds the grader knows, with the learner\'s rights on them', async () => {
  const { labKinds } = await import('../shared/kinds.ts');
  const { readFile } = await import('node:fs/promises');
  const { projectRoot } = await import('../paths.ts');
  const readme = await readFile(join(projectRoot, 'labs', 'README.md'), 'utf8');
  const names = (filter: (kind: (typeof labKinds)[string]) => boolean) =>
    Object.entries(labKinds).filter(([, kind]) => filter(kind)).map(([name]) => `\`${name}\``).join(', ');
  const expected = [
    '<!-- kinds: generated from server/shared/kinds.ts; a test compares them -->',
    `- read and write: ${names((kind) => kind.learner === 'write')}`,
    `- read only, in the namespace: ${names((kind) => kind.learner === 'read' && !kind.clusterScoped)}`,
    `- read only, cluster-wide: ${names((kind) => kind.clusterScoped === true)}`,
    '<!-- end of kinds -->',
  ].join('\n');
  assert.ok(readme.includes(expected), `labs/README.md should list the kinds as:\n${expected}`);
});
