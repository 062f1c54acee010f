// `cnlab labs test` on the local cluster: its --json output is JSON on stdout alone, and a failing
// solution shows what it printed, so an author sees which command failed.
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { run } from '../exec.ts';
import { projectRoot } from '../paths.ts';

const env = { CNLAB_STATE_DIR: await mkdtemp(join(tmpdir(), 'cnlab-prove-')), CNLAB_CLUSTER_NAME: 'cnlab-prove', CNLAB_PROVIDER: 'local', LOG_LEVEL: 'warn' };
// The in-process platform below reads its settings from this process's environment.
Object.assign(process.env, env);
const cli = (...args: string[]) => run(process.execPath, [join(projectRoot, 'server', 'cli.ts'), ...args], { env: { ...process.env, ...env } });
const cliLogging = (...args: string[]) => run(process.execPath, [join(projectRoot, 'server', 'cli.ts'), ...args], { env: { ...process.env, ...env, LOG_LEVEL: 'info' } });

before(async () => {
  const up = await cli('cluster', 'up');
  assert.equal(up.code, 0, up.stderr);
});

after(async () => {
  await cli('cluster', 'down');
});

test('labs test --json prints JSON on stdout and its progress and logs on stderr', async () => {
  // With the server's info logs on: they go to stderr, where they cannot break the JSON.
  const result = await cliLogging('labs', 'test', 'rbac-pod-reader', '--json');
  assert.equal(result.code, 0, result.stderr);
  const proofs = JSON.parse(result.stdout) as Array<{ lab: string; solutionExit: number; solved: { passed: boolean }; solutionOutput?: string[] }>;
  assert.deepEqual(proofs.map((proof) => [proof.lab, proof.solutionExit, proof.solved.passed]), [['rbac-pod-reader', 0, true]]);
  assert.equal(proofs[0]?.solutionOutput, undefined, 'a passing proof carries no output');
  assert.match(result.stderr, /lab rbac-pod-reader: done in/);
  assert.match(result.stderr, /"level":30/, 'the info logs are there, on stderr');
});

test('a failing solution.sh stops at the failing command and its output is shown', async () => {
  const { buildPlatform, clusterUp } = await import('../app/platform.ts');
  const { createSteps } = await import('../steps.ts');
  const { formatProofs, proveLab } = await import('./prove.ts');
  const { lab: labSchema } = await import('./schema.ts');
  const steps = createSteps(() => undefined);
  const platform = await buildPlatform(await clusterUp({}, steps), steps, {});
  try {
    const definition = labSchema.parse({
      id: 'failing-solution',
      title: 'A solution that fails half-way',
      lesson: 'fundamentals/pods',
      intro: 'For the proof runner.',
      proof: { settleSeconds: 1 },
      tasks: [{ id: 'made', title: 'Make it', instructions: 'Create ConfigMap made.', checks: [{ check: 'exists', object: 'ConfigMap/made' }] }],
    });
    const solution = ['echo "first line"', 'kubectl create configmap made', 'kubectl auth can-i delete nodes', 'echo "never printed"', ''].join('\n');
    const proof = await proveLab(platform.kc, platform.sessions, { definition, dir: join(tmpdir(), 'failing-solution'), setup: [], solution });
    assert.equal(proof.solutionExit, 1, JSON.stringify(proof));
    const output = proof.solutionOutput ?? [];
    assert.ok(output.includes('first line'), output.join('\n'));
    assert.ok(output.includes('configmap/made created'), output.join('\n'));
    assert.ok(output.includes('no'), 'kubectl auth can-i answered no, which ends a bash -e script');
    assert.ok(!output.some((line) => line.includes('never printed')), 'bash -e stopped at the failing command');
    assert.ok(!output.some((line) => line.includes('echo "first line"')), 'the echo of the typed script is left out');
    const table = formatProofs([proof]);
    assert.match(table, /failing-solution\s+fails\s+exit 1\s+passes/);
    assert.match(table, /failing-solution: the last \d+ lines solution\.sh printed:\n {2}\| first line\n/);
  } finally {
    await platform.stop();
  }
});
