// A malformed lab must stop the build with the file, the line and what is wrong.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { GENERAL_SESSION } from '../shared/names.ts';
import { loadLabs } from './load.ts';
import { LabsInvalid } from './problems.ts';

const valid = `id: sample
title: A sample
lesson: fundamentals/pods
intro: Something to do.
tasks:
  - id: one
    title: Make it
    instructions: Create ConfigMap demo.
    checks:
      - check: exists
        object: ConfigMap/demo
`;

async function labWith(files: Record<string, string>, id = 'sample'): Promise<string> {
  const dir = join(await mkdtemp(join(tmpdir(), 'cnlab-lab-')), id);
  await mkdir(join(dir, 'setup'), { recursive: true });
  for (const [name, text] of Object.entries({ 'solution.sh': 'kubectl create configmap demo\n', ...files })) await writeFile(join(dir, name), text);
  return dir;
}

async function failure(files: Record<string, string>, id?: string): Promise<LabsInvalid> {
  const dir = await labWith(files, id);
  try {
    await loadLabs(dirname(dir));
  } catch (error) {
    assert.ok(error instanceof LabsInvalid, String(error));
    return error;
  }
  assert.fail('the lab loaded although it is malformed');
}

test('a valid lab loads', async () => {
  const [lab] = await loadLabs(dirname(await labWith({ 'lab.yaml': valid })));
  assert.ok(lab);
  assert.equal(lab.definition.tasks[0]?.checks[0]?.check, 'exists');
  assert.deepEqual(lab.setup, []);
});

test('an unknown check kind names its line and the choices', async () => {
  const error = await failure({ 'lab.yaml': valid.replace('check: exists', 'check: exist') });
  assert.match(error.message, /lab\.yaml:10:16: tasks\[0\]\.checks\[0\]\.check: check must be one of exists, absent, field, containers.*; did you mean exists\?/);
});

test('a missing required field points at the object that lacks it', async () => {
  const error = await failure({ 'lab.yaml': valid.replace('    title: Make it\n', '') });
  assert.match(error.message, /lab\.yaml:6:5: tasks\[0\]\.title: Invalid input: expected string, received undefined/);
});

test('a field check with two operators is refused', async () => {
  const text = valid.replace('      - check: exists\n        object: ConfigMap/demo\n', '      - check: field\n        object: ConfigMap/demo\n        path: data.a\n        label: a\n        equals: x\n        matches: y\n        describe: y\n');
  const error = await failure({ 'lab.yaml': text });
  assert.match(error.message, /lab\.yaml:10:9: tasks\[0\]\.checks\[0\]: give exactly one of equals, matches/);
});

test('a bad object reference and a bad regular expression are explained', async () => {
  const ref = await failure({ 'lab.yaml': valid.replace('ConfigMap/demo', 'configmap demo') });
  assert.match(ref.message, /lab\.yaml:11:17: tasks\[0\]\.checks\[0\]\.object: write the object as Kind\/name/);
  const regex = valid.replace('      - check: exists\n        object: ConfigMap/demo\n', '      - check: field\n        object: ConfigMap/demo\n        path: data.a\n        label: a\n        describe: a\n        matches: "(unclosed"\n');
  assert.match((await failure({ 'lab.yaml': regex })).message, /matches is not a valid regular expression/);
});

test('broken YAML is reported at the line the parser stopped', async () => {
  const error = await failure({ 'lab.yaml': valid.replace('title: A sample', 'title: [unclosed') });
  assert.match(error.message, /lab\.yaml:\d+:\d+: not valid YAML/);
});

test('the id must match the folder, and solution.sh must exist', async () => {
  assert.match((await failure({ 'lab.yaml': valid }, 'other')).message, /id "sample" must match the folder name "other"/);
  const dir = join(await mkdtemp(join(tmpdir(), 'cnlab-lab-')), 'sample');
  await mkdir(dir);
  await writeFile(join(dir, 'lab.yaml'), valid);
  await assert.rejects(loadLabs(dirname(dir)), /solution\.sh:1:1: every lab needs solution\.sh/);
});

test('no lab may take the id of the lessons\' general terminal', async () => {
  const error = await failure({ 'lab.yaml': valid.replace('id: sample', `id: ${GENERAL_SESSION}`) }, GENERAL_SESSION);
  assert.match(error.message, /names the terminal of lessons without a lab/);
});

test('setup manifests are checked too, with their own line', async () => {
  const error = await failure({ 'lab.yaml': valid, 'setup/app.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n  namespace: kube-system\n' });
  assert.match(error.message, /setup\/app\.yaml:6:1: setup objects go into the learner's namespace/);
});

test("the course's own labs are all valid", async () => {
  const labs = await loadLabs();
  assert.ok(labs.length >= 8, `${labs.length} labs`);
});
