// The HTTP API fuzzed by schemathesis against the platform started by its CLI on a real cluster:
// requests generated from GET /api/openapi.json, valid and invalid, must never get a server
// error (5xx), and answers must match the document where it declares them. The terminal sockets
// are not in the document (OpenAPI has no words for a WebSocket), so they are not fuzzed here.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { run } from '../exec.ts';
import { projectRoot } from '../paths.ts';
import { newLearner, type Platform, startPlatform } from '../testing/platform.ts';

// One token for the grading API and /metrics, so the one Authorization header schemathesis sends
// opens both: their bodies and answers are fuzzed, not only their 401. A workshop's instructor
// routes are fuzzed without their token (none exists): they answer 401, never a 5xx.
const token = 'fuzz-suite-token';
// Per operation, and a budget for the whole run: enough to reach every route's edges (the
// coverage phase) and some random bodies, within about a minute on two cores.
const MAX_EXAMPLES = 25;
const MAX_SECONDS = 60;
// Fixed, so a failure found here can be run again as it was.
const SEED = 12;

let platform: Platform;
let workDir: string;

before(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'cnlab-fuzz-'));
  platform = await startPlatform({ CNLAB_GRADING_TOKEN: token, CNLAB_METRICS_TOKEN: token });
});

after(async () => {
  await platform?.stop();
  await platform?.cli('cluster', 'down');
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

test('schemathesis finds no server error and no answer that breaks the OpenAPI document', { timeout: 240_000 }, async (t) => {
  const install = await run('sh', [join(projectRoot, 'scripts', 'ensure-schemathesis.sh')]);
  assert.equal(install.code, 0, `installing schemathesis failed:\n${install.stderr}`);
  const st = install.stdout.trim();
  // A learner of its own: its sessions count against one learner's cap, as a real visitor's do.
  const learner = await newLearner(platform);
  const fuzz = await run(
    st,
    [
      'run',
      `${platform.url}/api/openapi.json`,
      '--checks',
      'not_a_server_error,response_schema_conformance',
      '--max-examples',
      String(MAX_EXAMPLES),
      '--max-time',
      String(MAX_SECONDS),
      '--seed',
      String(SEED),
      '--request-timeout',
      '30',
      '--generation-database',
      'none',
      '--no-color',
      // As the course site's own pages send them: the host guard refuses other origins.
      '--header',
      `Origin: ${platform.origin}`,
      '--header',
      `Cookie: ${learner.cookie}`,
      '--header',
      `Authorization: Bearer ${token}`,
    ],
    // Its files (a report, a hypothesis database) go to a folder of the test's own.
    { cwd: workDir, timeoutMs: (MAX_SECONDS + 90) * 1000 },
  );
  const report = `${fuzz.stdout}\n${fuzz.stderr}`;
  // What was tried, in the test's output: the closing summary (test cases, phases, warnings).
  t.diagnostic(fuzz.stdout.split('\n').slice(-40).join('\n'));
  assert.equal(fuzz.code, 0, `schemathesis failed (exit ${fuzz.code}):\n${report}\nthe server's log:\n${platform.output().slice(-4000)}`);
  // A run that reached no route cannot pass: every operation of the document was fuzzed.
  const [, selected, total] = /Operations:\s+(\d+) selected \/ (\d+) total/.exec(fuzz.stdout) ?? [];
  assert.ok(Number(selected) >= 20 && selected === total, `operations fuzzed: ${selected} of ${total}\n${report}`);
  assert.equal(platform.process.exitCode, null, 'the server is still running');
});
