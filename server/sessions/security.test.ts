// Attacks a learner could try, each of which must be refused, against the real platform: the
// CLI-started server, a real cluster, real sandboxes. Learner A attacks; learner B is the victim
// whose shell must keep working throughout.
import assert from 'node:assert/strict';
import { after, afterEach, before, test } from 'node:test';
import { AttackReport } from '../testing/attack-report.ts';
import { learnerIdOf, learnerWithShell, newLearner, type Platform, Shell, startPlatform } from '../testing/platform.ts';

let platform: Platform;
const report = new AttackReport('Learner isolation');
afterEach((t) => report.record(t));
let a: Awaited<ReturnType<typeof learnerWithShell>>;
let b: Awaited<ReturnType<typeof learnerWithShell>>;
const secret = 'security-suite-cookie-secret-do-not-leak';
const gradingToken = 'security-suite-grading-token';

before(async () => {
  platform = await startPlatform({ CNLAB_COOKIE_SECRET: secret, CNLAB_GRADING_TOKEN: gradingToken });
  await report.start(platform);
  [a, b] = await Promise.all([learnerWithShell(platform), learnerWithShell(platform)]);
  assert.notEqual(a.namespace, b.namespace);
  assert.match(await b.shell.exec('kubectl create deployment web --image=nginx --replicas=1'), /created/);
  assert.match(await b.shell.exec('kubectl rollout status deployment/web --timeout=60s'), /successfully rolled out/);
});

after(async () => {
  await report.finish();
  a?.shell.close();
  b?.shell.close();
  await platform?.stop();
  await platform?.cli('cluster', 'down');
});

const forbidden = /forbidden/i;

report.attack("A cannot read, list, create, delete or exec in B's namespace", async () => {
  const pod = await b.shell.exec('kubectl get pods -o name | head -1');
  assert.match(pod, /^pod\/web-/);
  for (const command of [
    `kubectl get pods -n ${b.namespace}`,
    `kubectl get secrets -n ${b.namespace}`,
    `kubectl get deployment web -n ${b.namespace}`,
    `kubectl create configmap stolen --from-literal=a=b -n ${b.namespace}`,
    `kubectl delete deployment web -n ${b.namespace}`,
    `kubectl exec -n ${b.namespace} ${pod} -- true`,
    `kubectl get pods --all-namespaces`,
  ]) {
    assert.match(await a.shell.exec(command), forbidden, command);
  }
  // Beside the terminal, one sentence says why, once: this is not A's namespace.
  const notices = () => a.shell.frames.filter((frame) => frame.type === 'notice').map((frame) => frame.message ?? '');
  await a.shell.waitFor(() => notices().length > 0, 'the explanation of the refusal');
  assert.deepEqual(notices().filter((message) => message.includes(`You can act only in your own namespace, ${a.namespace}`)).length, 1, notices().join('\n'));
  assert.match(await b.shell.exec('kubectl get deployment web -o name'), /deployment.apps\/web/);
});

report.attack('A cannot create cluster-scoped objects', async () => {
  for (const command of [
    'kubectl create namespace evil',
    'kubectl create clusterrole evil --verb=get --resource=secrets',
    `kubectl create clusterrolebinding evil --clusterrole=cluster-admin --serviceaccount=${a.namespace}:learner`,
    `echo '{"apiVersion":"v1","kind":"Node","metadata":{"name":"evil"}}' | kubectl create -f -`,
  ]) {
    assert.match(await a.shell.exec(command), forbidden, command);
  }
});

report.attack('A cannot grant itself more rights through a Role or RoleBinding', async () => {
  for (const command of [
    `kubectl create rolebinding escalate --clusterrole=cluster-admin --serviceaccount=${a.namespace}:learner`,
    `kubectl create rolebinding escalate --clusterrole=admin --serviceaccount=${a.namespace}:learner`,
    "kubectl create role everything --verb='*' --resource='*'",
    // Not granted to learners: the API server's proxy to their Services.
    'kubectl create role proxy --verb=get --resource=services/proxy',
  ]) {
    assert.match(await a.shell.exec(command), forbidden, command);
  }
  // What the policy does grant still works: Roles within the learner's own rights.
  assert.match(await a.shell.exec('kubectl create role reader --verb=get,list --resource=pods'), /created/);
});

// Pods run real processes on the real node: nothing a learner puts in a pod spec reaches the host.
report.attack("A's pods cannot touch the host: privileged, host paths, host namespaces, pinning and the host's users are refused", async () => {
  const attempt = (name: string, spec: Record<string, unknown>, container: Record<string, unknown> = {}) =>
    a.shell.exec(`echo '${JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'c', image: 'busybox:1.37', command: ['sleep', '3600'], ...container }], ...spec } })}' | kubectl apply -f - 2>&1`);
  const refusals: [string, string, RegExp][] = [
    ['privileged', await attempt('privileged', {}, { securityContext: { privileged: true } }), /violates PodSecurity "baseline.*privileged/],
    ['hostPath /', await attempt('hostpath', { volumes: [{ name: 'root', hostPath: { path: '/' } }] }, { volumeMounts: [{ name: 'root', mountPath: '/host' }] }), /violates PodSecurity "baseline.*hostPath/],
    ['hostNetwork', await attempt('hostnet', { hostNetwork: true }), /violates PodSecurity "baseline.*host namespaces/],
    ['hostPID', await attempt('hostpid', { hostPID: true }), /violates PodSecurity "baseline.*host namespaces/],
    ['added capabilities', await attempt('caps', {}, { securityContext: { capabilities: { add: ['SYS_ADMIN'] } } }), /violates PodSecurity "baseline.*capabilities/],
    ['nodeName', await attempt('pinned', { nodeName: 'node-000000' }), /spec\.nodeName is not allowed/],
    ['tolerate everything', await attempt('tolerant', { tolerations: [{ operator: 'Exists' }] }), /toleration without a key/],
    ['hostUsers true', await attempt('hostusers', { hostUsers: true }), /hostUsers true is not allowed/],
  ];
  for (const [what, output, expected] of refusals) assert.match(output, expected, `${what}: ${output}`);
  assert.match(await a.shell.exec('kubectl get pods -o name'), /^$/, 'a refused pod was created');

  // What they may run runs in a user namespace: root in the pod is an unprivileged uid on the host.
  assert.match(await a.shell.exec('kubectl run plain --image=busybox:1.37 -- sleep 3600 2>&1'), /created/);
  assert.match(await a.shell.exec('kubectl wait --for=condition=Ready pod/plain --timeout=60s'), /condition met/);
  assert.equal(await a.shell.exec("kubectl get pod plain -o jsonpath='{.spec.hostUsers}'"), 'false');
  const uidMap = (await a.shell.exec('kubectl exec plain -- cat /proc/self/uid_map')).trim().split(/\s+/);
  assert.equal(uidMap[0], '0');
  assert.ok(Number(uidMap[1]) >= 65536, `root in the pod is host uid ${uidMap[1]}`);
  assert.match(await a.shell.exec('kubectl delete pod plain --wait=false'), /deleted/);
});

report.attack("A cannot undo the platform's isolation from inside the namespace", async () => {
  for (const [command, expected] of [
    ['kubectl delete networkpolicy isolate-from-other-namespaces', /belongs to the platform/],
    ['kubectl delete role learner', /belongs to the platform/],
    ['kubectl delete serviceaccount learner', /belongs to the platform/],
    ['kubectl label rolebinding learner app.kubernetes.io/managed-by-', /belongs to the platform/],
    // Their own Role passes RBAC's escalation check; who it is bound to is what is refused.
    ['kubectl create rolebinding open --role=learner --user=system:anonymous', /may only name ServiceAccounts of the same namespace/],
    ['kubectl create rolebinding everyone --role=learner --group=system:authenticated', /may only name ServiceAccounts of the same namespace/],
    [`kubectl create rolebinding cross --role=learner --serviceaccount=${b.namespace}:learner`, /may only name ServiceAccounts of the same namespace/],
    ['kubectl create service nodeport open --tcp=80', /only ClusterIP/],
    ["kubectl create service clusterip ext --tcp=80 --dry-run=client -o json | sed 's/\"spec\": {/\"spec\": {\"externalIPs\": [\"192.0.2.10\"],/' | kubectl create -f -", /without externalIPs/],
    [
      `printf '{"apiVersion":"v1","kind":"Secret","metadata":{"name":"tok","annotations":{"kubernetes.io/service-account.name":"learner"}},"type":"kubernetes.io/service-account-token"}' | kubectl create -f -`,
      /long-lived ServiceAccount token Secrets are not allowed/,
    ],
    [`printf '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"sticky","finalizers":["example.com/never"]}}' | kubectl create -f -`, /adding finalizers is not allowed/],
  ] as const) {
    assert.match(await a.shell.exec(`${command} 2>&1`), expected, command);
  }
  assert.match(await a.shell.exec('kubectl get networkpolicy -o name'), /isolate-from-other-namespaces/);
});

report.attack('A reads only what the lessons need cluster-wide', async () => {
  assert.match(await a.shell.exec('kubectl get nodes -o name'), /node\/node-000000/);
  assert.match(await a.shell.exec(`kubectl get namespace ${a.namespace} -o name`), new RegExp(`namespace/${a.namespace}`));
  assert.match(await a.shell.exec(`kubectl get namespace ${b.namespace}`), forbidden);
  assert.match(await a.shell.exec('kubectl get namespaces'), forbidden);
  // Everyday commands a beginner types work as they would on their own cluster.
  assert.doesNotMatch(await a.shell.exec('kubectl get all'), forbidden);
  assert.match(await a.shell.exec('kubectl describe node node-000000'), /^Name: +node-000000$/m);
  assert.doesNotMatch(await a.shell.exec('kubectl describe node node-000000'), forbidden);
});

report.attack("the shell sees no server files, environment, admin kubeconfig or other learners' homes", async () => {
  const kubeconfig = (await platform.cli('cluster', 'kubeconfig')).stdout.trim();
  assert.match(await a.shell.exec(`cat ${kubeconfig}`), /No such file or directory/);
  assert.match(await a.shell.exec(`ls ${platform.stateDir}`), /No such file or directory/);
  assert.match(await a.shell.exec(`ls ${process.cwd()}`), /No such file or directory/);
  assert.equal(await a.shell.exec('ls /home'), 'learner');
  assert.equal(await a.shell.exec(`ls ${platform.stateDir}/sessions/${b.id} 2>&1 | grep -c . || true`), '1');
  // No process in the sandbox carries the server's environment.
  const environ = await a.shell.exec("cat /proc/[0-9]*/environ 2>/dev/null | tr '\\0' '\\n'");
  assert.match(environ, /^CNLAB_NAMESPACE=/m);
  assert.doesNotMatch(environ, /CNLAB_(STATE_DIR|COOKIE_SECRET|CLUSTER_NAME|PROVIDER)|LOG_LEVEL|NODE_/);
  assert.ok(!environ.includes(secret));
  // The token in the shell's kubeconfig is the learner's own, not the admin's.
  assert.match(await a.shell.exec('kubectl auth whoami -o jsonpath={.status.userInfo.username}'), new RegExp(`^system:serviceaccount:${a.namespace}:learner$`));
});

report.attack('the shell sees only its own processes and reaches nothing but the API', async () => {
  const processes = (await a.shell.exec('ps -e -o comm=')).split('\n').map((line) => line.trim());
  assert.deepEqual(new Set(processes), new Set(['bwrap', 'sh', 'bash', 'socat', 'ps']));
  const apiPort = new URL(String(JSON.parse((await platform.cli('cluster', 'status', '--json')).stdout).apiUrl)).port;
  const serverPort = new URL(platform.url).port;
  for (const port of [apiPort, serverPort]) {
    assert.match(await a.shell.exec(`(exec 3<>/dev/tcp/127.0.0.1/${port}) && echo reached || echo refused`), /refused/, `port ${port}`);
  }
});

report.attack("A cannot attach to B's terminal: stolen session id, foreign origin, no cookie", async () => {
  const attempts: Array<[string, Record<string, string>, number]> = [
    ["A's cookie with B's session id", { cookie: a.learner.cookie, origin: platform.origin }, 404],
    ["B's cookie from a foreign origin", { cookie: b.learner.cookie, origin: 'https://evil.example' }, 403],
    ["B's cookie with no origin", { cookie: b.learner.cookie }, 403],
    ['no cookie', { origin: platform.origin }, 401],
    ['a forged cookie', { cookie: b.learner.cookie.replace(/\.[^.]+$/, '.forged'), origin: platform.origin }, 401],
  ];
  for (const [what, headers, status] of attempts) {
    await assert.rejects(Shell.connect(platform, b.id, headers), (error: { status?: number }) => error.status === status, what);
  }
  const stranger = await newLearner(platform);
  await assert.rejects(Shell.connect(platform, b.id, { cookie: stranger.cookie, origin: platform.origin }), (error: { status?: number }) => error.status === 404);
});

report.attack('malformed, binary, oversized and flooding frames are refused and the server goes on', async () => {
  const errors = () => a.shell.frames.filter((frame) => frame.type === 'error').length;
  const before = errors();
  a.shell.send('not json');
  a.shell.send({ type: 'launch-missiles' });
  a.shell.send({ type: 'data', data: 42 });
  a.shell.socket.send(Buffer.from([0, 1, 2, 3]), { binary: true });
  a.shell.send({ type: 'resize', cols: 100_000, rows: 30 });
  a.shell.send({ type: 'resize', cols: -1, rows: 0 });
  await a.shell.waitFor(() => errors() - before === 6, 'six error frames');
  assert.equal(await a.shell.exec('echo still-here'), 'still-here');

  // A flood far above typing speed is cut off with an error, not queued. `cat` swallows what
  // gets through, line by line, so the shell is back at its prompt once the flood is over.
  a.shell.send({ type: 'data', data: 'cat > /dev/null\r' });
  const chunk = `${'x'.repeat(1023)}\n`.repeat(64);
  for (let i = 0; i < 40; i += 1) a.shell.send({ type: 'data', data: chunk });
  await a.shell.waitFor(() => a.shell.frames.some((frame) => frame.type === 'error' && /faster than/.test(frame.message ?? '')), 'the flood error');
  a.shell.send({ type: 'data', data: '\u0004' });

  // A frame over 1 MiB closes that connection (1009); the session itself survives.
  const big = await Shell.connect(platform, a.id, { cookie: a.learner.cookie, origin: platform.origin });
  big.send({ type: 'data', data: 'y'.repeat(1024 * 1024 + 1) });
  await big.waitFor(() => big.closed !== undefined, 'the oversized frame to close the socket');
  assert.equal(big.closed?.code, 1009);

  const again = await Shell.connect(platform, a.id, { cookie: a.learner.cookie, origin: platform.origin });
  await again.waitFor(() => again.output.includes('$ '), 'the prompt after reattaching');
  assert.equal(await again.exec('echo after-the-storm', 30_000), 'after-the-storm');
  again.close();
  // B never noticed.
  assert.equal(await b.shell.exec('echo b-unaffected'), 'b-unaffected');
  assert.equal((await fetch(`${platform.url}/api/health`)).status, 200);
});

test('the shell has kubectl completion and a prompt naming the namespace', async () => {
  assert.match(b.shell.output, new RegExp(`learner.*@.*${b.namespace}`));
  // Tab turns "nod" into "nodes"; without completion the command would name no resource type.
  const start = b.shell.output.length;
  b.shell.send({ type: 'data', data: 'kubectl get nod\t' });
  await new Promise((resolve) => setTimeout(resolve, 1500));
  b.shell.send({ type: 'data', data: ' -o name\r' });
  await b.shell.waitFor(() => b.shell.output.slice(start).includes('node/node-000000'), 'the completed command to list nodes');
});

report.attack('sandbox limits hold: processes, file size', async () => {
  assert.match(await a.shell.exec('(for i in $(seq 200); do sleep 5 & done) 2>&1 | grep -m1 -o "Resource temporarily unavailable"; wait'), /Resource temporarily unavailable/);
  assert.match(await a.shell.exec('head -c 200M /dev/zero > ~/big; echo exit=$?; rm -f ~/big'), /File size limit exceeded|exit=1\b|exit=153/);
});

report.attack('the grading API refuses a missing or wrong token and grades with the right one', async () => {
  const grade = (authorization?: string) =>
    fetch(`${platform.url}/api/grade`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
      body: JSON.stringify({ lab: 'service-endpoints', namespace: b.namespace }),
    });
  assert.equal((await grade()).status, 401);
  assert.equal((await grade('Bearer wrong-token')).status, 401);
  assert.equal((await grade(`Bearer ${gradingToken}x`)).status, 401);
  // A learner's cookie is no grading credential.
  const withCookie = await fetch(`${platform.url}/api/grade`, { method: 'POST', headers: { 'content-type': 'application/json', cookie: b.learner.cookie }, body: '{}' });
  assert.equal(withCookie.status, 401);
  const response = await grade(`Bearer ${gradingToken}`);
  assert.equal(response.status, 200);
  const body = (await response.json()) as { schema: string; namespace: string; tasks: Array<{ id: string }> };
  assert.equal(body.schema, 'cnlab.grade/v1');
  assert.equal(body.namespace, b.namespace);
  assert.deepEqual(body.tasks.map((task) => task.id), ['deploy', 'expose']);
});

report.attack("a learner's progress is theirs alone", async () => {
  const progressOf = async (cookie: string) => (await fetch(`${platform.url}/api/progress/export`, { headers: { cookie } })).json() as Promise<{ learner: string }>;
  const mine = await progressOf(a.learner.cookie);
  const theirs = await progressOf(b.learner.cookie);
  assert.notEqual(mine.learner, theirs.learner);
  // Hints and grading of another learner's session are refused like the session itself.
  for (const path of [`/api/sessions/${b.id}/grade`, `/api/sessions/${b.id}/reset`, `/api/sessions/${b.id}/hints`]) {
    const response = await fetch(`${platform.url}${path}`, { method: 'POST', headers: { cookie: a.learner.cookie, 'content-type': 'application/json' }, body: '{"task":"deploy","hint":0}' });
    assert.equal(response.status, 404, path);
  }
  assert.equal((await fetch(`${platform.url}/api/sessions/${b.id}/solution`, { headers: { cookie: a.learner.cookie } })).status, 404);
});

report.attack("A's list of sessions and lab record hold only A's, and A cannot end B's session", async () => {
  const get = async (path: string, cookie: string) => (await fetch(`${platform.url}${path}`, { headers: { cookie } })).json() as Promise<Record<string, unknown>>;
  const listed = ((await get('/api/sessions', a.learner.cookie)).sessions as Array<{ id: string }>).map((session) => session.id);
  assert.ok(listed.includes(a.id) && !listed.includes(b.id), JSON.stringify(listed));
  assert.equal((await fetch(`${platform.url}/api/sessions/${b.id}`, { method: 'DELETE', headers: { cookie: a.learner.cookie } })).status, 404);
  assert.match(await b.shell.exec('echo still-$((6*7))'), /still-42/);
  // B's gradings of a lab show on B's lab page, never on A's.
  const opened = await b.learner.openSession('service-endpoints');
  assert.equal(opened.status, 201);
  assert.equal((await fetch(`${platform.url}/api/sessions/${opened.body.id}/grade`, { method: 'POST', headers: { cookie: b.learner.cookie } })).status, 200);
  assert.deepEqual(((await get('/api/progress/labs/service-endpoints', b.learner.cookie)).tasks as Array<{ task: string }>).map((task) => task.task).sort(), ['deploy', 'expose']);
  assert.deepEqual((await get('/api/progress/labs/service-endpoints', a.learner.cookie)).tasks, []);
});

report.attack("a workshop's instructor routes: without the token nobody resets or watches a learner; with it, watching is read-only", async () => {
  const created = await platform.cli('workshop', 'create', '--title', 'Security class', '--labs', 'service-endpoints');
  const code = /join code:\s+(\w+)/.exec(created.stdout)?.[1] ?? '';
  const token = /instructor token:\s+(\S+)/.exec(created.stdout)?.[1] ?? '';
  // Cleo joins, then opens the lab: the instructor reaches what she opens for the workshop.
  const cleoLearner = await newLearner(platform);
  const join = await fetch(`${platform.url}/api/workshops/join`, { method: 'POST', headers: { cookie: cleoLearner.cookie, 'content-type': 'application/json' }, body: JSON.stringify({ code, name: 'Cleo' }) });
  assert.equal(join.status, 200);
  const c = await learnerWithShell(platform, 'service-endpoints', cleoLearner);
  const board = (await (await fetch(`${platform.url}/api/workshops/${code}/dashboard`, { headers: { authorization: `Bearer ${token}` } })).json()) as { learners: Array<{ ref: string; name: string; live: string[] }> };
  const cleo = board.learners.find((learner) => learner.name === 'Cleo');
  assert.deepEqual(cleo?.live, ['service-endpoints']);
  const ref = cleo?.ref ?? '';
  assert.ok(!JSON.stringify(board).includes(learnerIdOf(c.learner.cookie)), 'the dashboard never shows learner ids');
  await c.shell.exec('kubectl create deployment api --image=nginx:1.26');

  // A learner (even one of the workshop) with no token or a wrong one is refused.
  const reset = (authorization?: string) =>
    fetch(`${platform.url}/api/workshops/${code}/learners/${ref}/reset`, {
      method: 'POST',
      headers: { cookie: a.learner.cookie, 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
      body: JSON.stringify({ lab: 'service-endpoints' }),
    });
  assert.equal((await reset()).status, 401);
  assert.equal((await reset('Bearer wrong')).status, 401);
  const path = `/api/workshops/${code}/learners/${ref}/terminal?lab=service-endpoints`;
  await assert.rejects(Shell.open(platform, path, { origin: 'https://evil.example' }), (error: { status?: number }) => error.status === 403);
  const intruder = await Shell.open(platform, path, { cookie: a.learner.cookie, origin: platform.origin });
  intruder.send({ type: 'auth', token: 'wrong' });
  await intruder.waitFor(() => intruder.closed !== undefined, 'the refusal');
  assert.equal(intruder.closed?.code, 4401);
  assert.equal(intruder.output, '', 'nothing of the shell leaks before the token is checked');

  // The instructor sees the shell, and cannot type into it.
  const watcher = await Shell.open(platform, path, { origin: platform.origin });
  watcher.send({ type: 'auth', token });
  await watcher.waitFor(() => watcher.output.includes('deployment.apps/api created'), "the learner's scrollback");
  watcher.send({ type: 'data', data: 'touch ~/typed-by-the-instructor\r' });
  await watcher.waitFor(() => watcher.frames.some((frame) => frame.type === 'error' && /read-only/.test(frame.message ?? '')), 'the refusal of input');
  assert.match(await c.shell.exec('ls ~/typed-by-the-instructor 2>&1 || echo absent'), /absent/);
  assert.match(watcher.output, /absent/, 'the view follows the shell live');
  watcher.close();

  assert.equal((await reset(`Bearer ${token}`)).status, 204);
  assert.match(await c.shell.exec('kubectl get deployments 2>&1'), /No resources found/);
  c.shell.close();
});
