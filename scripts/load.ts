// `npm run load`: a classroom against one platform on loopback. N learners (default 100) each
// open a session at once, join a workshop and then, for T minutes (default 10), work as learners
// do: type commands, run `watch kubectl get pods`, create and scale a Deployment, check and now
// and then reset their lab, answer quiz questions; two instructors poll the dashboard twice a
// second. It reports what a learner would notice (sessions dropped, 5xx, keystroke echo, grading
// time) and what the server feels (event-loop lag, memory), writes test-results/load.json and a
// plot (test-results/load.svg), and exits 1 when a goal is missed.
//
//   npm run load -- [--learners 100] [--minutes 10] [--url http://127.0.0.1:4321 --state-dir DIR --metrics-token T]
//
// Without --url it starts a platform of its own (a cluster of its own too) and stops it after.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadCourse } from '../server/course/load.ts';
import { projectRoot } from '../server/paths.ts';
import { newLearner, type Platform, Shell, startPlatform } from '../server/testing/platform.ts';

const { values: flags } = parseArgs({
  options: {
    learners: { type: 'string', default: '100' },
    minutes: { type: 'string', default: '10' },
    url: { type: 'string' },
    'state-dir': { type: 'string' },
    'metrics-token': { type: 'string' },
  },
});
const LEARNERS = Number(flags.learners);
const MINUTES = Number(flags.minutes);
if (!(LEARNERS > 0) || !(MINUTES > 0)) throw new Error('--learners and --minutes must be positive numbers');
const LABS = ['labels-and-selectors', 'deployment-rollout', 'service-endpoints', 'config-and-secrets'];
const GOALS = { lagP99Ms: 50, echoP99Ms: 50, rssGrowth: 0.1 };

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? Number.NaN : (sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number);
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const jitter = (ms: number) => ms / 2 + Math.random() * ms;

/** Everything measured, in one place: the report and the plot are made from it. */
const tally = {
  sessionsOpened: 0,
  sessionsRefused: [] as string[],
  disconnects: [] as string[],
  http5xx: [] as string[],
  openMs: [] as number[],
  gradeMs: [] as number[],
  /** Keystroke echo, per minute of the run. */
  echo: [] as Array<{ at: number; ms: number }>,
  samples: [] as Array<{ at: number; lagP99Ms: number; serverRssMiB: number; apiServerRssMiB: number }>,
};

const started = Date.now();
const minute = () => Math.floor((Date.now() - started) / 60_000);

async function call(platform: Platform, cookie: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
  const response = await fetch(`${platform.url}${path}`, {
    method,
    headers: { cookie, origin: platform.origin, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status >= 500) tally.http5xx.push(`${method} ${path}: ${response.status} ${await response.text()}`);
  return response;
}

function apiServerRssMiB(stateDir: string | undefined, cluster: string): number {
  if (!stateDir) return Number.NaN;
  try {
    const pid = readFileSync(join(stateDir, 'kwok', 'clusters', cluster, 'pids', 'kube-apiserver.pid'), 'utf8').trim();
    const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return rss ? Number(rss) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** Every 5 s: the server's event-loop lag and memory from its /metrics, the API server's memory. */
async function sample(platform: Platform, metricsToken: string, stateDir: string | undefined, cluster: string, until: number): Promise<void> {
  while (Date.now() < until) {
    const text = await (await fetch(`${platform.url}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } })).text().catch(() => '');
    const value = (name: string) => Number(new RegExp(`^${name} ([0-9.e+-]+)$`, 'm').exec(text)?.[1]);
    tally.samples.push({
      at: (Date.now() - started) / 1000,
      lagP99Ms: value('cnlab_nodejs_eventloop_lag_p99_seconds') * 1000,
      serverRssMiB: value('cnlab_process_resident_memory_bytes') / 1024 / 1024,
      apiServerRssMiB: apiServerRssMiB(stateDir, cluster),
    });
    await sleep(5000);
  }
}

type Quiz = { lesson: string; question: string; choices: number[] };

/** One learner, from the first click to the end of the run. */
async function learner(platform: Platform, index: number, workshop: string, quizzes: Quiz[], until: number): Promise<void> {
  const me = await newLearner(platform);
  const lab = LABS[index % LABS.length] as string;
  await call(platform, me.cookie, 'POST', '/api/workshops/join', { code: workshop, name: `Learner ${index + 1}` });
  const opening = performance.now();
  const opened = await me.openSession(lab);
  if (opened.status !== 201 || !opened.body.id) {
    tally.sessionsRefused.push(`learner ${index + 1}: ${opened.status} ${opened.body.error}`);
    return;
  }
  const session = opened.body.id;
  const shell = await Shell.connect(platform, session, { cookie: me.cookie, origin: platform.origin });
  await shell.waitFor(() => shell.output.includes('$ '), 'the prompt', 60_000);
  tally.openMs.push(performance.now() - opening);
  tally.sessionsOpened += 1;
  const deployment = `web-${index}`;
  const actions: Array<() => Promise<void>> = [
    async () => void (await shell.exec('kubectl get pods', 60_000)),
    async () => void (await shell.exec('ls -la && echo $RANDOM', 60_000)),
    async () => void (await shell.exec(`kubectl create deployment ${deployment} --image=nginx:1.26 --replicas=1 2>/dev/null || kubectl scale deployment ${deployment} --replicas=$((RANDOM % 2 + 1))`, 60_000)),
    async () => {
      // A learner watching their pods: output every second, which drives automatic grading.
      shell.send({ type: 'data', data: 'watch -n1 kubectl get pods\r' });
      await sleep(jitter(20_000));
      shell.send({ type: 'data', data: '\x03' });
      await shell.exec('true', 60_000);
    },
    async () => {
      // Keystroke echo: a character typed at the prompt, until the terminal shows it back.
      for (let i = 0; i < 5; i += 1) {
        const key = String.fromCharCode(97 + Math.floor(Math.random() * 26));
        const before = shell.output.length;
        const sent = performance.now();
        shell.send({ type: 'data', data: key });
        await shell.waitFor(() => shell.output.slice(before).includes(key), 'a keystroke echo', 30_000);
        tally.echo.push({ at: minute(), ms: performance.now() - sent });
        await sleep(jitter(300));
      }
      shell.send({ type: 'data', data: '\x15' });
    },
    async () => {
      const sent = performance.now();
      const graded = await call(platform, me.cookie, 'POST', `/api/sessions/${session}/grade`);
      if (graded.ok) tally.gradeMs.push(performance.now() - sent);
    },
    async () => {
      const quiz = quizzes[Math.floor(Math.random() * quizzes.length)];
      if (quiz) await call(platform, me.cookie, 'POST', '/api/progress/quiz', quiz);
    },
  ];
  const reset = async () => {
    await call(platform, me.cookie, 'POST', `/api/sessions/${session}/reset`);
  };
  while (Date.now() < until) {
    if (shell.closed) {
      tally.disconnects.push(`learner ${index + 1}: ${shell.closed.code} ${shell.closed.reason}`);
      return;
    }
    const action = Math.random() < 0.03 ? reset : (actions[Math.floor(Math.random() * actions.length)] as () => Promise<void>);
    try {
      await action();
    } catch (error) {
      if (shell.closed) continue;
      tally.disconnects.push(`learner ${index + 1}: ${(error as Error).message.split('\n')[0]}`);
    }
    await sleep(jitter(8000));
  }
  shell.close();
}

/** An instructor's dashboard, polled twice a second. */
async function instructor(platform: Platform, code: string, token: string, until: number): Promise<void> {
  while (Date.now() < until) {
    await call(platform, '', 'GET', `/api/workshops/${code}/dashboard`, undefined, { authorization: `Bearer ${token}` });
    await sleep(500);
  }
}

function plot(file: string): void {
  const width = 720;
  const height = 320;
  const pad = 50;
  const seconds = Math.max(1, ...tally.samples.map((s) => s.at));
  const series = [
    { label: 'event-loop lag p99 (ms)', color: '#d9480f', points: tally.samples.map((s) => [s.at, s.lagP99Ms] as const) },
    { label: 'server RSS (MiB)', color: '#1971c2', points: tally.samples.map((s) => [s.at, s.serverRssMiB] as const) },
    { label: 'API server RSS (MiB)', color: '#2f9e44', points: tally.samples.map((s) => [s.at, s.apiServerRssMiB] as const) },
    { label: 'echo p99 per minute (ms)', color: '#7048e8', points: [...new Set(tally.echo.map((e) => e.at))].map((m) => [m * 60 + 30, percentile(tally.echo.filter((e) => e.at === m).map((e) => e.ms), 99)] as const) },
  ];
  const top = Math.max(1, ...series.flatMap((s) => s.points.map(([, y]) => (Number.isFinite(y) ? y : 0))));
  const x = (at: number) => pad + ((width - 2 * pad) * at) / seconds;
  const y = (value: number) => height - pad - ((height - 2 * pad) * value) / top;
  const lines = series.map(
    (s, i) =>
      `<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${s.points.filter(([, v]) => Number.isFinite(v)).map(([at, v]) => `${x(at).toFixed(1)},${y(v).toFixed(1)}`).join(' ')}"/>` +
      `<text x="${pad + 10}" y="${pad - 30 + i * 14}" fill="${s.color}" font-size="12">${s.label}</text>`,
  );
  const axes = `<line x1="${pad}" y1="${height - pad}" x2="${width - pad}" y2="${height - pad}" stroke="#888"/><line x1="${pad}" y1="${pad}" x2="${pad}" y2="${height - pad}" stroke="#888"/>` +
    `<text x="${pad - 6}" y="${pad + 4}" text-anchor="end" font-size="11">${top.toFixed(0)}</text><text x="${width - pad}" y="${height - pad + 16}" text-anchor="end" font-size="11">${(seconds / 60).toFixed(1)} min</text>`;
  writeFileSync(file, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" font-family="sans-serif"><title>cnlab load: ${LEARNERS} learners for ${MINUTES} min</title>${axes}${lines.join('')}</svg>\n`);
}

async function main(): Promise<number> {
  const own = flags.url === undefined;
  const cluster = 'cnlab-load';
  const metricsToken = flags['metrics-token'] ?? randomBytes(24).toString('hex');
  // Its own platform runs with caps for the class: more sessions than learners, and starts
  // rationed per address no tighter than the whole class arriving from one (loopback) address.
  const platform: Platform = own
    ? await startPlatform({
        CNLAB_CLUSTER_NAME: cluster,
        CNLAB_MAX_SESSIONS: String(LEARNERS * 2),
        CNLAB_SESSION_STARTS_PER_ADDRESS: String(LEARNERS * 2),
        CNLAB_SESSION_STARTS: String(LEARNERS * 4),
        CNLAB_METRICS_TOKEN: metricsToken,
        LOG_LEVEL: 'warn',
      })
    : ({ url: flags.url, origin: flags.url, stateDir: flags['state-dir'] ?? '', cli: async () => ({ code: 1, stdout: '', stderr: 'no CLI for a platform given by --url' }) } as unknown as Platform);
  try {
    const created = await platform.cli('workshop', 'create', '--title', 'Load test', '--labs', LABS.join(','), '--capacity', String(LEARNERS), '--hours', '3');
    const code = /join code:\s+(\S+)/.exec(created.stdout)?.[1] ?? '';
    const token = /instructor token:\s+(\S+)/.exec(created.stdout)?.[1] ?? '';
    if (!code) process.stderr.write(`no workshop (${created.stderr.trim()}): the learners work alone and no instructor watches\n`);
    const course = await loadCourse();
    const quizzes = [...course.quizzes].flatMap(([lesson, quiz]) => quiz.questions.map((question) => ({ lesson, question: question.id, choices: [0] })));
    const until = Date.now() + MINUTES * 60_000;
    process.stderr.write(`${LEARNERS} learners for ${MINUTES} min against ${platform.url}\n`);
    await Promise.all([
      sample(platform, metricsToken, platform.stateDir || undefined, cluster, until),
      ...(code && token ? [instructor(platform, code, token, until), instructor(platform, code, token, until)] : []),
      ...Array.from({ length: LEARNERS }, (_, index) =>
        learner(platform, index, code, quizzes, until).catch((error: Error) => void tally.sessionsRefused.push(`learner ${index + 1}: ${error.message.split('\n')[0]}`)),
      ),
    ]);
  } finally {
    if (own) {
      await platform.stop();
      await platform.cli('cluster', 'down');
    }
  }

  const warm = tally.samples.filter((s) => s.at > (MINUTES * 60) / 3);
  const middle = warm.slice(0, Math.floor(warm.length / 2)).map((s) => s.serverRssMiB);
  const last = warm.slice(Math.floor(warm.length / 2)).map((s) => s.serverRssMiB);
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
  const rssGrowth = mean(middle) > 0 ? mean(last) / mean(middle) - 1 : 0;
  const lags = tally.samples.map((s) => s.lagP99Ms).filter(Number.isFinite);
  const echoes = tally.echo.map((e) => e.ms);
  const figures = {
    learners: LEARNERS,
    minutes: MINUTES,
    sessionsOpened: tally.sessionsOpened,
    sessionsDropped: tally.sessionsRefused.length + tally.disconnects.length,
    http5xx: tally.http5xx.length,
    sessionOpenP50Ms: percentile(tally.openMs, 50),
    sessionOpenP95Ms: percentile(tally.openMs, 95),
    echoP50Ms: percentile(echoes, 50),
    echoP99Ms: percentile(echoes, 99),
    gradeP50Ms: percentile(tally.gradeMs, 50),
    gradeP99Ms: percentile(tally.gradeMs, 99),
    eventLoopLagP99Ms: Math.max(...lags),
    serverRssMiB: { first: tally.samples[0]?.serverRssMiB, last: tally.samples.at(-1)?.serverRssMiB, growthAfterWarmUp: rssGrowth },
    apiServerRssMiB: { first: tally.samples[0]?.apiServerRssMiB, last: tally.samples.at(-1)?.apiServerRssMiB },
  };
  const goals = {
    'no session dropped': figures.sessionsDropped === 0,
    'no HTTP 5xx': figures.http5xx === 0,
    [`event-loop lag p99 < ${GOALS.lagP99Ms} ms`]: figures.eventLoopLagP99Ms < GOALS.lagP99Ms,
    [`echo p99 < ${GOALS.echoP99Ms} ms`]: figures.echoP99Ms < GOALS.echoP99Ms,
    [`server RSS flat after warm-up (< ${GOALS.rssGrowth * 100}% growth)`]: rssGrowth < GOALS.rssGrowth,
  };
  const results = join(projectRoot, 'test-results');
  mkdirSync(results, { recursive: true });
  writeFileSync(join(results, 'load.json'), `${JSON.stringify({ figures, goals, refused: tally.sessionsRefused, disconnects: tally.disconnects, http5xx: tally.http5xx.slice(0, 50), samples: tally.samples }, null, 2)}\n`);
  plot(join(results, 'load.svg'));
  process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
  for (const [goal, met] of Object.entries(goals)) process.stdout.write(`${met ? 'met    ' : 'MISSED '} ${goal}\n`);
  for (const line of [...tally.sessionsRefused, ...tally.disconnects, ...tally.http5xx].slice(0, 10)) process.stdout.write(`  ${line}\n`);
  process.stdout.write('report: test-results/load.json, plot: test-results/load.svg\n');
  return Object.values(goals).every(Boolean) ? 0 : 1;
}

process.exitCode = await main();
