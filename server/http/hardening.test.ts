// What an attacker on the open internet (or a web page a learner visits) tries against the HTTP
// server, each of which must be refused, against the platform started by its CLI on a real
// cluster. One platform for the whole file; the cluster goes down in the last test.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, afterEach, before, test } from 'node:test';
import { AttackReport } from '../testing/attack-report.ts';
import { learnerWithShell, newLearner, type Platform, Shell, startPlatform } from '../testing/platform.ts';

let platform: Platform;
const report = new AttackReport('HTTP hardening');
afterEach((t) => report.record(t));
const gradingToken = 'hardening-suite-grading-token';
const metricsToken = 'hardening-suite-metrics-token';
const publicHost = 'lab.example.org';

before(async () => {
  platform = await startPlatform({
    CNLAB_GRADING_TOKEN: gradingToken,
    CNLAB_METRICS_TOKEN: metricsToken,
    CNLAB_PUBLIC_URL: `https://${publicHost}`,
    // The test talks to the server as a TLS proxy on loopback would.
    CNLAB_TRUST_PROXY: '127.0.0.1',
  });
  await report.start(platform);
});

after(async () => {
  await report.finish();
  await platform?.stop();
  await platform?.cli('cluster', 'down');
});

const port = () => Number(new URL(platform.url).port);
const json = { 'content-type': 'application/json' };

/** A request with headers fetch will not send as given (Host). */
function raw(method: string, path: string, headers: Record<string, string>, body?: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: port(), method, path, headers: { ...headers, ...(body ? { 'content-length': String(Buffer.byteLength(body)) } : {}) } }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A WebSocket upgrade the server refuses: its status, once the server has also closed the connection. */
function refusedUpgrade(path: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const key = randomBytes(16).toString('base64');
    const req = httpRequest({ host: '127.0.0.1', port: port(), path, agent: false, headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': key, ...headers } });
    req.on('response', (res) => {
      res.resume();
      // A refused upgrade must not leave the connection to the client to hold open.
      res.socket.once('close', () => resolve(res.statusCode ?? 0));
    });
    req.on('upgrade', () => reject(new Error('the upgrade was accepted')));
    req.on('error', reject);
    req.end();
  });
}

async function eventually(what: string, probe: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function workshop(...flags: string[]): Promise<{ code: string; token: string }> {
  const created = await platform.cli('workshop', 'create', '--title', 'Hardening class', '--labs', 'service-endpoints', ...flags);
  assert.equal(created.code, 0, created.stderr);
  return { code: /join code:\s+(\w+)/.exec(created.stdout)?.[1] ?? '', token: /instructor token:\s+(\S+)/.exec(created.stdout)?.[1] ?? '' };
}

const joinWorkshop = (code: string, cookie: string, name: string) =>
  fetch(`${platform.url}/api/workshops/join`, { method: 'POST', headers: { ...json, cookie }, body: JSON.stringify({ code, name }) });

const instructorReset = (code: string, token: string, ref: string) =>
  fetch(`${platform.url}/api/workshops/${code}/learners/${ref}/reset`, { method: 'POST', headers: { ...json, authorization: `Bearer ${token}` }, body: JSON.stringify({ lab: 'service-endpoints' }) });

async function refOf(code: string, token: string, name: string): Promise<{ ref: string; live: string[] }> {
  const board = (await (await fetch(`${platform.url}/api/workshops/${code}/dashboard`, { headers: { authorization: `Bearer ${token}` } })).json()) as { learners: Array<{ ref: string; name: string; live: string[] }> };
  const row = board.learners.find((learner) => learner.name === name);
  assert.ok(row, `${name} is on the dashboard`);
  return row;
}

// A refused upgrade whose connection the server left open would hang here: the timeout is that failure.
report.attack('DNS rebinding: a request or terminal socket under a name that is not the server\'s is refused', { timeout: 120_000 }, async () => {
  const evil = `rebound.attacker.example:${port()}`;
  // The page's origin is its own name, so Origin and Host agree: "same origin" by the old check.
  const page = await raw('GET', '/', { host: evil });
  assert.equal(page.status, 421);
  assert.match((JSON.parse(page.body) as { error: string }).error, /^this server answers only to localhost:\d+, 127\.0\.0\.1:\d+, \[::1\]:\d+, lab\.example\.org; "rebound\.attacker\.example:\d+" is not one of them \(set CNLAB_PUBLIC_URL/);
  const opened = await raw('POST', '/api/sessions', { host: evil, origin: `http://${evil}`, ...json }, JSON.stringify({ lab: 'rebound' }));
  assert.equal(opened.status, 421, 'no session is opened for the rebound page');

  const { learner, id, shell } = await learnerWithShell(platform, 'rebinding');
  assert.equal(await refusedUpgrade(`/api/sessions/${id}/terminal`, { host: evil, origin: `http://${evil}`, cookie: learner.cookie }), 421);
  // Under its own names the server answers, to pages of its own origins only.
  assert.equal((await raw('GET', '/api/me', { host: `localhost:${port()}` })).status, 200);
  assert.equal((await raw('GET', '/api/me', { host: publicHost })).status, 200);
  const foreign = await raw('POST', '/api/sessions', { host: `127.0.0.1:${port()}`, origin: 'https://attacker.example', cookie: learner.cookie, ...json }, JSON.stringify({ lab: 'rebinding' }));
  assert.equal(foreign.status, 403);
  assert.match((JSON.parse(foreign.body) as { error: string }).error, /only from this site's own pages, not from https:\/\/attacker\.example/);
  assert.equal(await refusedUpgrade(`/api/sessions/${id}/terminal`, { host: `127.0.0.1:${port()}`, origin: `https://${publicHost}.attacker.example`, cookie: learner.cookie }), 403);
  const proxied = await Shell.connect(platform, id, { host: publicHost, origin: `https://${publicHost}`, cookie: learner.cookie });
  await proxied.waitFor(() => proxied.frames.some((frame) => frame.type === 'attached'), 'the attach through the public name');
  proxied.close();
  shell.close();
});

report.attack('session caps: ten concurrent starts from one learner open at most the cap, and a burst is rate-limited with Retry-After', async () => {
  const learner = await newLearner(platform);
  const answers = await Promise.all(Array.from({ length: 10 }, (_, index) => learner.openSession(`burst-${index}`)));
  const opened = answers.filter((answer) => answer.status === 201);
  assert.equal(opened.length, 3, `statuses: ${answers.map((answer) => answer.status).join(' ')}`);
  assert.ok(answers.every((answer) => answer.status === 201 || answer.status === 429));
  // The eleventh start in a minute is over the learner's own rate, whatever is open.
  const eleventh = await fetch(`${platform.url}/api/sessions`, { method: 'POST', headers: { ...json, cookie: learner.cookie }, body: JSON.stringify({ lab: 'burst-10' }) });
  assert.equal(eleventh.status, 429);
  assert.ok(Number(eleventh.headers.get('retry-after')) >= 1);
  assert.match(((await eleventh.json()) as { error: string }).error, /you have started 10 terminals in the last minute/);
  for (const { body } of opened) await fetch(`${platform.url}/api/sessions/${body.id}`, { method: 'DELETE', headers: { cookie: learner.cookie } });
});

report.attack('unbounded writes: unknown lessons and oversized bodies are refused, and nothing is stored', async () => {
  const learner = await newLearner(platform);
  const lesson = (slug: string) => fetch(`${platform.url}/api/progress/lessons`, { method: 'POST', headers: { ...json, cookie: learner.cookie }, body: JSON.stringify({ lesson: slug }) });
  assert.equal((await lesson(`fundamentals/${'a'.repeat(500 * 1024)}`)).status, 413);
  const unknown = await lesson('fundamentals/no-such-lesson');
  assert.equal(unknown.status, 400);
  assert.match(((await unknown.json()) as { error: string }).error, /no lesson is called fundamentals\/no-such-lesson/);
  assert.equal((await lesson('fundamentals/architecture')).status, 204);
  const name = await fetch(`${platform.url}/api/me`, { method: 'PUT', headers: { ...json, cookie: learner.cookie }, body: JSON.stringify({ name: 'x'.repeat(100 * 1024) }) });
  assert.equal(name.status, 413);
  const progress = (await (await fetch(`${platform.url}/api/progress`, { headers: { cookie: learner.cookie } })).json()) as { lessonsRead: string[] };
  assert.deepEqual(progress.lessonsRead, ['fundamentals/architecture']);
});

report.attack('reset and grade spam: one in flight per lab, the rest answer 429', async () => {
  const learner = await newLearner(platform);
  const opened = await learner.openSession('service-endpoints');
  assert.equal(opened.status, 201);
  for (const action of ['reset', 'grade']) {
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => fetch(`${platform.url}/api/sessions/${opened.body.id}/${action}`, { method: 'POST', headers: { cookie: learner.cookie } })),
    );
    const statuses = answers.map((answer) => answer.status);
    assert.ok(statuses.some((status) => status === 200), `${action}: one ran (${statuses.join(' ')})`);
    const refused = answers.filter((answer) => answer.status === 429);
    assert.ok(refused.length >= 1, `${action}: the others were refused (${statuses.join(' ')})`);
    assert.ok(statuses.every((status) => status === 200 || status === 429));
    assert.equal(refused[0]?.headers.get('retry-after'), '1');
    assert.match(((await refused[0]?.json()) as { error: string }).error, /still running/);
  }
  await fetch(`${platform.url}/api/sessions/${opened.body.id}`, { method: 'DELETE', headers: { cookie: learner.cookie } });
});

report.attack("an instructor reaches only what was opened for the workshop, and nothing once it has ended", async () => {
  // Zoe's own session of the lab, from before she joined, is hers alone.
  const zoe = await newLearner(platform);
  const own = await zoe.openSession('service-endpoints');
  assert.equal(own.status, 201);
  const running = await workshop();
  assert.equal((await joinWorkshop(running.code, zoe.cookie, 'Zoe')).status, 200);
  const row = await refOf(running.code, running.token, 'Zoe');
  assert.deepEqual(row.live, []);
  const refused = await instructorReset(running.code, running.token, row.ref);
  assert.equal(refused.status, 409);
  assert.match(((await refused.json()) as { error: string }).error, /has not started service-endpoints in this workshop/);
  await fetch(`${platform.url}/api/sessions/${own.body.id}`, { method: 'DELETE', headers: { cookie: zoe.cookie } });

  // A workshop that ends in a few seconds: Max joins and opens the lab during it.
  // Long enough for the steps before the end on a busy machine (the CLI alone takes seconds).
  const endsAt = Date.now() + 40_000;
  const ending = await workshop('--starts', new Date(endsAt - 3600_000).toISOString(), '--hours', '1');
  const max = await newLearner(platform);
  assert.equal((await joinWorkshop(ending.code, max.cookie, 'Max')).status, 200);
  const during = await max.openSession('service-endpoints');
  assert.equal(during.status, 201);
  const maxRow = await refOf(ending.code, ending.token, 'Max');
  assert.deepEqual(maxRow.live, ['service-endpoints']);
  assert.equal((await instructorReset(ending.code, ending.token, maxRow.ref)).status, 204);

  await eventually('the workshop to end', async () => Date.now() > endsAt + 500, 60_000);
  // After the end, Max's later sessions of the lab are private: no reset, no watching.
  const later = await max.openSession('service-endpoints');
  assert.equal(later.status, 201);
  const ended = await instructorReset(ending.code, ending.token, maxRow.ref);
  assert.equal(ended.status, 410);
  assert.match(((await ended.json()) as { error: string }).error, /the workshop has ended/);
  assert.deepEqual((await refOf(ending.code, ending.token, 'Max')).live, []);
  const watcher = await Shell.open(platform, `/api/workshops/${ending.code}/learners/${maxRow.ref}/terminal?lab=service-endpoints`, { origin: platform.origin });
  watcher.send({ type: 'auth', token: ending.token });
  await watcher.waitFor(() => watcher.closed !== undefined, 'the refusal');
  assert.equal(watcher.closed?.code, 4401);
  assert.match(watcher.closed?.reason ?? '', /the workshop has ended/);
  assert.ok(!watcher.frames.some((frame) => frame.type === 'attached'));
  await fetch(`${platform.url}/api/sessions/${later.body.id}`, { method: 'DELETE', headers: { cookie: max.cookie } });
});

report.attack('the grading token grades learner namespaces only, never the cluster\'s own', async () => {
  const grade = (namespace: string) =>
    fetch(`${platform.url}/api/grade`, { method: 'POST', headers: { ...json, authorization: `Bearer ${gradingToken}` }, body: JSON.stringify({ lab: 'service-endpoints', namespace }) });
  for (const namespace of ['kube-system', 'default', 'kube-public']) {
    const answer = await grade(namespace);
    assert.equal(answer.status, 404, namespace);
    assert.match(((await answer.json()) as { error: string }).error, /is not a learner namespace of this platform/);
  }
  const learner = await newLearner(platform);
  const opened = await learner.openSession('service-endpoints');
  assert.equal((await grade(opened.body.namespace ?? '')).status, 200);
  await fetch(`${platform.url}/api/sessions/${opened.body.id}`, { method: 'DELETE', headers: { cookie: learner.cookie } });
});

report.attack('metrics need their token; behind a trusted TLS proxy the learner cookie is Secure', async () => {
  assert.equal((await fetch(`${platform.url}/metrics`)).status, 401);
  assert.equal((await fetch(`${platform.url}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status, 401);
  const metrics = await fetch(`${platform.url}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } });
  assert.equal(metrics.status, 200);
  assert.match(await metrics.text(), /^cnlab_sessions_active \d+$/m);
  const proxied = await fetch(`${platform.url}/api/me`, { headers: { 'x-forwarded-proto': 'https' } });
  assert.match(proxied.headers.get('set-cookie') ?? '', /;\s*Secure/i);
  const direct = await fetch(`${platform.url}/api/me`);
  assert.doesNotMatch(direct.headers.get('set-cookie') ?? '', /;\s*Secure/i);
});

// Without the lock, the second server would start and run on: the timeout is that failure.
report.attack("a second cnlab process cannot take the server's state folder, `labs test` keeps to a folder of its own, and removed shared sandbox files are made again and reported", { timeout: 300_000 }, async () => {
  // A second server on the same state folder stops before touching anything, naming the first.
  const second = await platform.cli('start', '--port', String(port() + 1));
  assert.equal(second.code, 1);
  assert.match(second.stderr, new RegExp(`sessions folder .* is in use by another cnlab process \\(pid ${platform.process.pid}\\)`));
  assert.match(second.stderr, /CNLAB_STATE_DIR=/);
  assert.doesNotMatch(second.stderr, /\n\s+at /);

  // `labs test` on the same state folder proves a lab in a sessions folder of its own (and
  // removes it): the server's shared sandbox files stay, and its shells keep working.
  const sessionsDir = join(platform.stateDir, 'sessions');
  const { shell: working } = await learnerWithShell(platform, 'during-labs-test');
  const proof = await platform.cli('labs', 'test', 'rbac-pod-reader');
  assert.equal(proof.code, 0, proof.stderr);
  const shared = ['kubectl-completion.bash', 'seccomp.bpf'];
  for (const file of shared) assert.ok((await readdir(sessionsDir)).includes(file), `the server's ${file} is still there`);
  assert.deepEqual((await readdir(platform.stateDir)).filter((name) => name.startsWith('sessions-')), [], "labs test's own folder is gone");
  assert.match(await working.exec('kubectl get serviceaccount learner -o name'), /serviceaccount\/learner/);
  working.close();

  // Something removes the sessions folder, shared files included: the next terminal still works
  // (each session's API relay socket is its own, made with the session).
  await rm(sessionsDir, { recursive: true, force: true });
  const { shell } = await learnerWithShell(platform, 'after-removal');
  assert.match(await shell.exec('kubectl get serviceaccount learner -o name'), /serviceaccount\/learner/);
  shell.close();
  const health = (await (await fetch(`${platform.url}/api/health`)).json()) as { status: string; sessions: { healthy: boolean; repaired: Array<{ files: string[] }> } };
  assert.equal(health.status, 'ok');
  assert.deepEqual(health.sessions.repaired.flatMap((repair) => repair.files).sort(), shared);
});

test('the OpenAPI document describes every API route the server registers, from the schemas that validate them', async () => {
  // The routes as the code registers them (server/http/*.ts), by method and path.
  const registered: string[] = [];
  for (const file of (await readdir(import.meta.dirname)).filter((name) => name.endsWith('.ts') && !name.endsWith('.test.ts'))) {
    const source = await readFile(join(import.meta.dirname, file), 'utf8');
    for (const [, method, path] of source.matchAll(/\.(get|post|put|delete|patch)(?:<[^>]*>)?\(\s*'(\/api\/[^']*|\/metrics)'/g)) {
      registered.push(`${method} ${path?.replace(/:(\w+)/g, '{$1}')}`);
    }
  }
  assert.ok(registered.length >= 20, `found ${registered.length} routes`);
  type Content = Record<string, { schema?: { required?: string[] } }>;
  type Operation = { requestBody?: { content: Content }; responses?: Record<string, { content?: Content }> };
  const doc = (await (await fetch(`${platform.url}/api/openapi.json`)).json()) as { openapi: string; paths: Record<string, Record<string, Operation>> };
  assert.match(doc.openapi, /^3\./);
  const described = Object.entries(doc.paths).flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method} ${path}`));
  // OpenAPI 3 has no words for a WebSocket: the terminal sockets (their frames are declared in
  // server/shared/terminal-protocol.ts) are left out by @fastify/websocket itself.
  const sockets = ['get /api/sessions/{id}/terminal', 'get /api/workshops/{code}/learners/{ref}/terminal'];
  for (const socket of sockets) assert.ok(registered.includes(socket), socket);
  assert.deepEqual(registered.filter((route) => !described.includes(route) && !sockets.includes(route)), [], 'routes missing from the document');
  assert.deepEqual(described.filter((route) => !registered.includes(route)), [], 'the document describes only the API');
  assert.deepEqual(doc.paths['/api/grade']?.post?.requestBody?.content['application/json']?.schema?.required, ['lab', 'namespace']);
  // Answers are described too (and checked against the same schemas as they are sent): every
  // operation but the document itself and the Prometheus text declares its success with a schema.
  const untyped = Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods)
      .filter(([, operation]) => !Object.entries(operation.responses ?? {}).some(([code, answer]) => code === '204' || (code.startsWith('2') && answer.content?.['application/json']?.schema)))
      .map(([method]) => `${method} ${path}`),
  );
  assert.deepEqual(untyped, ['get /api/openapi.json', 'get /metrics'], 'operations whose answers are not described');
  assert.deepEqual(Object.keys(doc.paths['/api/sessions']?.post?.responses ?? {}).sort(), ['201', '429', '503']);
  // The schema is what validates: a bad body is a 400 naming the field.
  const bad = await fetch(`${platform.url}/api/me`, { method: 'PUT', headers: json, body: JSON.stringify({ name: 'x'.repeat(41) }) });
  assert.equal(bad.status, 400);
  assert.deepEqual(await bad.json(), { error: 'name: a display name has at most 40 characters' });
});

report.attack('when the cluster is down, reset, delete and the instructor reset answer 503 like grading', async () => {
  const class_ = await workshop();
  const learner = await newLearner(platform);
  assert.equal((await joinWorkshop(class_.code, learner.cookie, 'Ivy')).status, 200);
  const opened = await learner.openSession('service-endpoints');
  assert.equal(opened.status, 201);
  const { ref } = await refOf(class_.code, class_.token, 'Ivy');
  assert.equal((await platform.cli('cluster', 'down')).code, 0);
  const post = (action: string) => fetch(`${platform.url}/api/sessions/${opened.body.id}/${action}`, { method: 'POST', headers: { cookie: learner.cookie } });
  assert.equal((await post('grade')).status, 503);
  const reset = await post('reset');
  assert.equal(reset.status, 503);
  assert.match(((await reset.json()) as { error: string }).error, /cluster is unavailable right now, so the lab could not be reset/);
  const instructor = await instructorReset(class_.code, class_.token, ref);
  assert.equal(instructor.status, 503);
  const deleted = await fetch(`${platform.url}/api/sessions/${opened.body.id}`, { method: 'DELETE', headers: { cookie: learner.cookie } });
  assert.equal(deleted.status, 503);
  assert.match(((await deleted.json()) as { error: string }).error, /your terminal is closed/);
  assert.equal(platform.process.exitCode, null, 'the server is still running');
  // Monitoring hears that the cluster is gone; a supervisor's probes hear that the server serves,
  // so it neither restarts nor unroutes a server whose cluster is away.
  const health = await fetch(`${platform.url}/api/health`);
  assert.equal(health.status, 503);
  assert.equal(((await health.json()) as { cluster: { healthy: boolean } }).cluster.healthy, false);
  const live = await fetch(`${platform.url}/api/health/live`);
  assert.equal(live.status, 200);
  assert.deepEqual(await live.json(), { status: 'ok' });
});
