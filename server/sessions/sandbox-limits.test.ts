// A learner who tries to take the machine down from their terminal: file descriptors through the
// API relay, the disk through their home and /tmp, memory, CPU and processes through a fork bomb
// or a hog, and the kernel through syscalls a shell never needs. Each attack is the test; learner
// B's shell and the server keep working throughout.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, before, test } from 'node:test';
import { AttackReport } from '../testing/attack-report.ts';
import { cgroupSupport } from '../cgroups.ts';
import { run } from '../exec.ts';
import { versions } from '../versions.ts';
import { learnerWithShell, type Platform, startPlatform } from '../testing/platform.ts';
import { BLOCKED_SYSCALLS } from './seccomp.ts';
import { SessionCgroups } from './session-cgroups.ts';
import { readToolset } from './toolset.ts';

const LIMITS = {
  CNLAB_SESSION_API_CONNECTIONS: '16',
  CNLAB_SESSION_HOME_MIB: '32',
  CNLAB_SESSION_HOME_FILES: '2000',
  CNLAB_SESSION_MEMORY_MIB: '256',
  CNLAB_SESSION_PROCESSES: '64',
  CNLAB_SESSION_CPUS: '0.5',
};

let platform: Platform;
const report = new AttackReport('Sandbox limits');
afterEach((t) => report.record(t));
let a: Awaited<ReturnType<typeof learnerWithShell>>;
let b: Awaited<ReturnType<typeof learnerWithShell>>;
let cgroups: SessionCgroups;

before(async () => {
  platform = await startPlatform({ CNLAB_CLUSTER_NAME: 'cnlab-limits-it', LOG_LEVEL: 'info', ...LIMITS });
  cgroups = new SessionCgroups(join(platform.stateDir, 'sessions'));
  await report.start(platform);
  [a, b] = await Promise.all([learnerWithShell(platform), learnerWithShell(platform)]);
});

after(async () => {
  await report.finish();
  a?.shell.close();
  b?.shell.close();
  await platform?.stop();
  await platform?.cli('cluster', 'down');
});

/** A Perl program run in the sandbox (perl is in the toolset), passed as hex so that no quoting of the shell line is needed. */
const perl = (source: string) => `perl -e 'eval pack(q(H*), q(${Buffer.from(source).toString('hex')})); die $@ if $@'`;

const serverFds = () => readdirSync(`/proc/${platform.process.pid}/fd`).length;

async function until(predicate: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** B is unaffected: their kubectl answers, and so does the server. */
async function othersStillServed(): Promise<void> {
  assert.match(await b.shell.exec('kubectl get pods 2>&1 | head -1', 30_000), /No resources found|NAME/);
  assert.equal((await fetch(`${platform.url}/api/health`)).status, 200);
}

test("the server's startup output says which cgroup version bounds learner sessions", () => {
  const version = cgroupSupport().version;
  assert.notEqual(version, 'none', 'this suite runs as root on a machine with cgroups');
  assert.match(platform.output(), new RegExp(`learner sessions run in cgroups \\(${version}\\): 256 MiB of memory, 0.5 CPU and 64 processes each`));
});

report.attack("thousands of connections to the API relay leave the server's file descriptors bounded", async (t) => {
  assert.equal(await a.shell.exec('ulimit -n'), '1024', "the sandbox's open-file limit");
  const baseline = serverFds();
  // Four processes, a thousand connections each, straight to the relay socket; each counts the
  // connections the server closed at once and holds the rest until told to stop.
  const attack = perl(`
use Socket; use IO::Select;
my %open;
for (1 .. 1000) {
  socket(my $s, AF_UNIX, SOCK_STREAM, 0) or die "socket: $!";
  connect($s, pack_sockaddr_un('/run/cnlab/kube-api.sock')) or die "connect: $!";
  $open{fileno($s)} = $s;
}
my $deadline = time + 10;
while (time < $deadline && keys(%open) > 16) {
  for my $s (IO::Select->new(values %open)->can_read(1)) {
    my $n = sysread($s, my $byte, 1);
    delete $open{fileno($s)} if !defined($n) || $n == 0;
  }
}
$| = 1;
printf "relay-attack open=%d refused=%d\\n", scalar(keys %open), 1000 - keys(%open);
select(undef, undef, undef, 0.2) until -e '/tmp/stop-attack';
`);
  const start = a.shell.output.length;
  a.shell.send({ type: 'data', data: `rm -f /tmp/stop-attack; for i in 1 2 3 4; do ${attack} & done 2>&1\r` });
  const reports = () => [...a.shell.output.slice(start).matchAll(/relay-attack open=(\d+) refused=(\d+)/g)].map((match) => ({ open: Number(match[1]), refused: Number(match[2]) }));
  await a.shell.waitFor(() => reports().length === 4, 'the four attackers to report', 60_000);
  const during = serverFds();
  t.diagnostic(`server file descriptors: ${baseline} before, ${during} with 4000 connections attempted`);
  const held = reports().reduce((sum, report) => sum + report.open, 0);
  assert.ok(held <= 16, `the session holds at most its 16 connections (held ${held})`);
  assert.ok(reports().reduce((sum, report) => sum + report.refused, 0) >= 4000 - 16, 'every other connection was closed at once');
  // Each relayed connection costs two descriptors; the rest is the server's own life.
  assert.ok(during - baseline <= 2 * 16 + 30, `the server went from ${baseline} to ${during} file descriptors`);
  await othersStillServed();
  await a.shell.exec('touch /tmp/stop-attack; wait');
  await until(() => serverFds() <= baseline + 10, 'the relayed connections to close');
  assert.match(await a.shell.exec('kubectl get pods 2>&1 | head -1'), /No resources found|NAME/, "the attacker's own kubectl works again");
});

report.attack("a full home and a full /tmp stop at their limits, on no host disk, and the terminal says so", async () => {
  const say = async (line: string, expected: RegExp, what: string) => {
    const start = a.shell.output.length;
    // Sent as the learner types it: the explanation follows a failed command at the prompt.
    a.shell.send({ type: 'data', data: `${line}\r` });
    await a.shell.waitFor(() => expected.test(a.shell.output.slice(start)), what, 30_000);
    return a.shell.output.slice(start);
  };
  const home = await say('head -c 64M /dev/zero > ~/big', /cnlab: your home is full \(32 MiB limit\)/, 'the explanation of a full home');
  assert.match(home, /No space left on device/);
  // The home is not on the host's disk: the session folder there holds none of it.
  const hostHome = join(platform.stateDir, 'sessions', a.id, 'home');
  assert.deepEqual(readdirSync(hostHome), [], `${hostHome} on the host stays empty`);
  await a.shell.exec('rm -f ~/big');
  const files = await say('touch ~/f{1..3000}', /cnlab: your home holds as many files as it may \(2000\)/, 'the explanation of a home out of files');
  assert.match(files, /No space left on device/);
  assert.match(await a.shell.exec('ls ~ | wc -l'), /^19\d\d$/, 'fewer than 2000 files were made');
  await a.shell.exec('rm -f ~/f*');
  const tmp = await say('head -c 80M /dev/zero > /tmp/big', /cnlab: \/tmp is full \(64 MiB limit\)/, 'the explanation of a full /tmp');
  assert.match(tmp, /No space left on device/);
  await a.shell.exec('rm -f /tmp/big');
  assert.equal(await a.shell.exec('echo room > ~/note && cat ~/note'), 'room', 'the home works again once emptied');
  await othersStillServed();
});

report.attack('a memory hog is killed at the session\'s memory limit, below its per-process limit', async () => {
  // 400 MiB is within the 1 GiB a single process may map, and above the session's 256 MiB.
  const out = await a.shell.exec('head -c 400M /dev/zero | tail | wc -c; echo "status=${PIPESTATUS[1]}"', 60_000);
  assert.match(out, /status=137/, `tail is killed (SIGKILL) by the kernel at the cgroup's limit:\n${out}`);
  // The kernel says why: an OOM kill in the session's memory cgroup (v1: memory.oom_control, v2: memory.events).
  const oomKills = cgroups
    .dirs(a.id)
    .flatMap((dir) => ['memory.oom_control', 'memory.events'].map((file) => join(dir, file)))
    .filter((file) => existsSync(file))
    .reduce((sum, file) => sum + Number(/oom_kill (\d+)/.exec(readFileSync(file, 'utf8'))?.[1] ?? 0), 0);
  assert.ok(oomKills > 0, "the session's cgroup records the kill");
  await othersStillServed();
});

report.attack('busy loops get the session\'s CPU share, not the machine', async () => {
  await a.shell.exec("for i in 1 2 3; do timeout 20 sh -c 'while :; do :; done' & done");
  const throttled = () =>
    cgroups.dirs(a.id).some((dir) => {
      const stat = join(dir, 'cpu.stat');
      return existsSync(stat) && Number(/nr_throttled (\d+)/.exec(readFileSync(stat, 'utf8'))?.[1] ?? 0) > 0;
    });
  await until(throttled, 'the CFS quota to throttle the session');
  await a.shell.exec('pkill -f "while :" ; wait');
  await othersStillServed();
});

report.attack('a fork bomb stays under the pids limit, and ending the session removes its cgroup', async () => {
  const c = await learnerWithShell(platform);
  const dirs = cgroups.dirs(c.id);
  assert.ok(dirs.length > 0 && dirs.every((dir) => existsSync(dir)), 'the session has a cgroup');
  const pidsDir = dirs.find((dir) => existsSync(join(dir, 'pids.max'))) ?? '';
  assert.equal(readFileSync(join(pidsDir, 'pids.max'), 'utf8').trim(), '64');
  c.shell.send({ type: 'data', data: 'bomb() { bomb | bomb & }; bomb\r' });
  const refusals = () => Number(/max (\d+)/.exec(readFileSync(join(pidsDir, 'pids.events'), 'utf8'))?.[1] ?? 0);
  await until(() => refusals() > 100, 'the pids limit to refuse the bomb');
  assert.ok(Number(readFileSync(join(pidsDir, 'pids.current'), 'utf8')) <= 64);
  await othersStillServed();
  const ended = await fetch(`${platform.url}/api/sessions/${c.id}`, { method: 'DELETE', headers: { cookie: c.learner.cookie, origin: platform.origin } });
  assert.equal(ended.status, 204);
  await until(() => dirs.every((dir) => !existsSync(dir)), "the session's cgroup to go");
  c.shell.close();
});

report.attack('syscalls a shell never needs are refused by the seccomp filter; ordinary commands work', async () => {
  // Syscall numbers of this machine, from libseccomp on the host.
  const names = [...BLOCKED_SYSCALLS, 'clone'];
  const resolved = await run('/usr/bin/python3', ['-c', `import seccomp, sys\nfor n in sys.argv[1:]: print(n, seccomp.resolve_syscall(seccomp.Arch.NATIVE, n))`, ...names]);
  const numbers = Object.fromEntries(resolved.stdout.trim().split('\n').map((line) => line.split(' ') as [string, string]));
  const probe = perl(`
my %numbers = (${Object.entries(numbers).map(([name, nr]) => `'${name}' => ${nr}`).join(', ')});
sub call {
  my ($name, @args) = @_;
  my $result = syscall($numbers{$name}, @args);
  exit 0 if $result == 0 && $name eq 'clone';
  return $result == -1 && $! + 0 == 1 ? 'refused' : sprintf('allowed(%d,%d)', $result, $! + 0);
}
# ptrace(PTRACE_TRACEME) would succeed and stop this probe: it goes last.
for my $name (sort { ($a eq 'ptrace') <=> ($b eq 'ptrace') } keys %numbers) {
  if ($name eq 'clone') { print "clone(CLONE_NEWUSER) ", call('clone', 0x10000000 | 17, 0, 0, 0, 0), "\\n" }
  else { print "$name ", call($name, 0, 0, 0, 0, 0, 0), "\\n" }
}
`);
  const out = await a.shell.exec(probe, 30_000);
  const verdicts = Object.fromEntries(out.split('\n').map((line) => line.trim().split(' ') as [string, string]));
  for (const name of [...BLOCKED_SYSCALLS, 'clone(CLONE_NEWUSER)']) assert.equal(verdicts[name], 'refused', `${name}: ${out}`);
  assert.match(await a.shell.exec('grep Seccomp: /proc/self/status'), /Seccomp:\s+2/, 'a filter is in force');
  assert.match(await a.shell.exec('unshare -Ur true'), /Operation not permitted/);
  // What a learner does all day still works.
  assert.match(await a.shell.exec('ls / | head -3; bash -c "echo inner-bash"; echo piped | tr a-z A-Z'), /inner-bash[\s\S]*PIPED/);
  assert.match(await a.shell.exec('kubectl create configmap probe --from-literal=a=b && kubectl get configmap probe -o name'), /configmap\/probe/);
  await othersStillServed();
});

test("the learner toolset: every listed tool runs, and what the host has beyond the list is absent", async () => {
  const { tools, links } = readToolset();
  for (const { program, probe } of tools) assert.equal(await a.shell.exec(`${probe} >/dev/null 2>&1 && echo ran || echo "failed: $?"`), 'ran', `${program}: ${probe}`);
  for (const { name, target } of links) assert.equal(await a.shell.exec(`readlink $(command -v ${name})`), target, name);
  assert.match(await a.shell.exec('kubectl version --client'), /Client Version: v1\.36/);
  assert.match(await a.shell.exec('helm version --short'), new RegExp(`^${versions.helm.replaceAll('.', '\\.')}`));
  assert.match(await a.shell.exec('helm create demo >/dev/null && helm template demo ./demo | grep -c "^kind:"'), /^[1-9]/, 'helm renders a chart');
  assert.equal(await a.shell.exec('echo $EDITOR'), 'vi');
  // Programs this machine has (the real node's build tools, the end-to-end tests' browser, the
  // server's own runtimes) that are in no listed package.
  const hostOnly = ['gcc', 'cc', 'chromium', 'python3', 'containerd', 'go', 'apt-get', 'sudo', 'ssh'].filter((program) => ['/usr/bin', '/usr/local/bin', '/usr/local/go/bin'].some((dir) => existsSync(join(dir, program))));
  assert.ok(hostOnly.includes('gcc'), 'the host has gcc (the real node builds with it), so its absence below means something');
  for (const program of hostOnly) assert.equal(await a.shell.exec(`command -v ${program} || echo absent`), 'absent', program);
  assert.equal(await a.shell.exec('ls -d /usr/local /usr/lib/gcc /usr/lib/chromium 2>/dev/null | wc -l'), '0');
});

test('kubectl edit opens vi in the terminal, and what is saved there is applied', async () => {
  assert.match(await a.shell.exec('kubectl create configmap edited --from-literal=greeting=hello'), /created/);
  const start = a.shell.output.length;
  a.shell.send({ type: 'data', data: 'kubectl edit configmap edited\r' });
  await a.shell.waitFor(() => a.shell.output.slice(start).includes('greeting: hello'), 'the editor showing the ConfigMap');
  a.shell.send({ type: 'data', data: ':%s/greeting: hello/greeting: edited/\r' });
  a.shell.send({ type: 'data', data: ':wq\r' });
  await a.shell.waitFor(() => a.shell.output.slice(start).includes('configmap/edited edited'), 'kubectl applying the edit');
  assert.equal(await a.shell.exec("kubectl get configmap edited -o jsonpath='{.data.greeting}'"), 'edited');
});

test('stopping the server removes every session cgroup', async () => {
  const dirs = [...cgroups.dirs(a.id), ...cgroups.dirs(b.id)];
  assert.ok(dirs.every((dir) => existsSync(dir)));
  await platform.stop();
  assert.deepEqual(dirs.filter((dir) => existsSync(dir)), []);
  assert.deepEqual(dirs.map((dir) => join(dir, '..')).filter((dir) => existsSync(dir)), [], 'the parent goes too');
});
