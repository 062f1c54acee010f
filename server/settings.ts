import { z } from 'zod';
import { CnlabError } from './errors.ts';

// Every environment variable cnlab reads, declared once: its type, its default and what it is
// for. Nothing else reads the environment for a setting. The README's settings table is made
// from this list (`node scripts/settings-table.ts`), and a test keeps the two the same.

type Setting<T extends z.ZodType> = {
  schema: T;
  /** The values it takes, in words, and its default as the README shows them. */
  type: string;
  default: string;
  description: string;
};

const variable = <T extends z.ZodType>(schema: T, type: string, shown: string, description: string): Setting<T> => ({ schema, type, default: shown, description });

const text = z.string();
const port = z.coerce.number({ error: 'a port is a number from 1 to 65535' }).int('a port is a number from 1 to 65535').min(1, 'a port is a number from 1 to 65535').max(65535, 'a port is a number from 1 to 65535');
const seconds = (fallback: number) => z.coerce.number({ error: 'give a number of seconds' }).int('give a whole number of seconds').positive('give a positive number of seconds').default(fallback);
const count = (fallback: number) => z.coerce.number({ error: 'give a number' }).int('give a whole number').positive('give a number above 0').default(fallback);

// Fastify's trustProxy: a boolean, a hop count, or the addresses of trusted proxies.
const trustProxy = z
  .string()
  .default('off')
  .transform((value): boolean | number | string[] => {
    if (value === 'off' || value === 'false') return false;
    if (value === 'on' || value === 'true') return true;
    if (/^\d+$/.test(value)) return Number(value);
    return value.split(',').map((entry) => entry.trim()).filter(Boolean);
  });

export const settingsSchema = {
  CNLAB_PROVIDER: variable(text.default('auto'), '`auto`, `local`, `kind` or `kubeconfig`', '`auto`', 'the cluster provider of `cluster up`, `start` and `labs test`, as `--provider`: `auto` is kind where a Docker daemon answers, else local'),
  CNLAB_CLUSTER_NAME: variable(text.default('cnlab'), 'name', '`cnlab`', 'the name of the cluster cnlab creates (local and kind providers)'),
  CNLAB_REAL_NODE: variable(z.enum(['auto', 'off']).default('auto'), '`auto` or `off`', '`auto`', 'the local provider runs a real node (containerd, kubelet) beside the simulated ones where the machine allows it (root); `off`: simulated nodes only'),
  CNLAB_POD_EGRESS: variable(z.enum(['none', 'internet']).default('none'), '`none` or `internet`', '`none`', "what pods on the real node may reach off the machine: `none`, nothing; `internet`, public addresses (masqueraded behind the host, which gets IPv4 forwarding turned on) and the host's DNS servers, never private, link-local or the host's own addresses; `cluster up` applies a change to a running cluster"),
  CNLAB_API_PORT: variable(port.optional(), 'port', 'a free port', "the local provider's API server port"),
  CNLAB_GO: variable(text.optional(), 'path', '`go` on PATH, else `/usr/local/go/bin/go`', 'the Go that builds the local control plane (and kind)'),
  CNLAB_REGISTRY_USERNAME: variable(text.optional(), 'name', 'none: anonymous', 'the user `cnlab images server --push` signs in to the registry as (with `CNLAB_REGISTRY_PASSWORD`)'),
  CNLAB_REGISTRY_PASSWORD: variable(text.optional(), 'secret', 'none', 'the password or access token of `CNLAB_REGISTRY_USERNAME` at the registry `cnlab images server --push` pushes to'),
  CNLAB_CACHE_DIR: variable(text.optional(), 'path', '`$XDG_CACHE_HOME/cnlab` or `~/.cache/cnlab`', 'built binaries, one folder per version'),
  CNLAB_STATE_DIR: variable(text.optional(), 'path', '`$XDG_STATE_HOME/cnlab` or `~/.local/state/cnlab`', "the cluster's state and record, the progress database, secrets, session folders"),
  XDG_CACHE_HOME: variable(text.optional(), 'absolute path', '`~/.cache`', 'where the cache folder goes when `CNLAB_CACHE_DIR` is not set'),
  XDG_STATE_HOME: variable(text.optional(), 'absolute path', '`~/.local/state`', 'where the state folder goes when `CNLAB_STATE_DIR` is not set'),
  KUBECONFIG: variable(text.optional(), 'paths, `:`-separated', '`~/.kube/config`', 'the cluster of the kubeconfig provider: the first file that exists'),
  KUBERNETES_SERVICE_HOST: variable(text.optional(), 'address', 'set by Kubernetes in every pod', "in a pod without a kubeconfig file, the kubeconfig provider reaches the API server here (`KUBERNETES_SERVICE_PORT`) with the pod's ServiceAccount token, as the Helm chart runs the server; and `CNLAB_TERMINAL_BACKEND=auto` then means `pod`"),
  HOST: variable(text.default('127.0.0.1'), 'address', '`127.0.0.1`', 'the address `cnlab start` listens on, as `--host`'),
  PORT: variable(port.default(4321), 'port', '`4321`', 'the port `cnlab start` listens on, as `--port`'),
  CNLAB_PUBLIC_URL: variable(z.url({ protocol: /^https?$/, error: 'give an http:// or https:// URL' }).optional(), '`http(s)://` URL', 'none', 'the address learners reach the server at, behind a proxy or on another machine: its host is accepted besides the loopback names (`localhost`, `127.0.0.1`, `[::1]` on the listening port), every other `Host` is refused (DNS rebinding)'),
  CNLAB_TRUST_PROXY: variable(trustProxy, '`off`, `on`, a hop count, or addresses and CIDRs, `,`-separated', '`off`', 'which proxy in front of the server to believe about the client (`X-Forwarded-For`, `X-Forwarded-Proto`): behind a TLS proxy the learner cookie is then `Secure`, and rate limits count the real client address'),
  CNLAB_METRICS_TOKEN: variable(text.optional(), 'secret', 'generated once, kept in the state folder', 'the bearer token of `GET /metrics` (`cnlab metrics-token`)'),
  LOG_LEVEL: variable(z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'), '`fatal` … `trace`, `silent`', '`info`', "the server's JSON logs (pino)"),
  CNLAB_DATABASE: variable(text.optional(), 'path', '`<state folder>/cnlab.db`', 'the SQLite file of the progress store'),
  CNLAB_DATABASE_URL: variable(text.regex(/^postgres(ql)?:\/\//, 'give a postgresql:// URL').optional(), '`postgresql://…` URL', 'none: SQLite', 'a PostgreSQL progress store instead, for several server instances'),
  CNLAB_COOKIE_SECRET: variable(text.optional(), 'secret', 'generated once, kept in the state folder', "the key that signs learners' cookies"),
  CNLAB_GRADING_TOKEN: variable(text.optional(), 'secret', 'generated once, kept in the state folder', 'the bearer token of `POST /api/grade` (`cnlab grading-token`)'),
  CNLAB_SESSION_IDLE_SECONDS: variable(seconds(15 * 60), 'seconds', '`900`', 'a session without input this long is closed and its namespace deleted'),
  CNLAB_SESSION_TTL_SECONDS: variable(seconds(2 * 3600), 'seconds', '`7200`', 'the lifetime of a learner namespace'),
  CNLAB_SESSION_SWEEP_SECONDS: variable(seconds(30), 'seconds', '`30`', 'how often idle sessions, expired namespaces and ended workshops are cleaned up'),
  CNLAB_MAX_SESSIONS: variable(count(200).refine((n) => n <= 10_000, 'at most 10000'), 'count, up to 10000', '`200`', 'open terminals on this server; beyond it, "full, try again" (HTTP 429)'),
  CNLAB_SESSION_POOL: variable(z.coerce.number({ error: 'give a number' }).int('give a whole number').min(0, 'give 0 or more').max(1000, 'at most 1000').default(10), 'count, up to 1000; `0` turns it off', '`10`', 'namespaces kept ready for new sessions (everything but the learner made in advance, so a session takes one instead of making one); set it to a class\'s size before the class starts at once; shared by every server on the cluster'),
  CNLAB_MAX_SESSIONS_PER_LEARNER: variable(count(3), 'count', '`3`', 'open terminals per learner'),
  CNLAB_SESSION_MEMORY_MIB: variable(count(768), 'MiB', '`768`', "the memory of one learner session: its processes, its home and its /tmp together; beyond it the kernel stops the largest process (a cgroup: root only)"),
  CNLAB_SESSION_CPUS: variable(z.coerce.number({ error: 'give a number of CPUs' }).positive('give a number of CPUs above 0').max(64, 'at most 64').default(1), 'CPUs, e.g. `0.5`', '`1`', 'the CPU time one learner session may use (a cgroup: root only)'),
  CNLAB_SESSION_PROCESSES: variable(count(128), 'count', '`128`', 'the processes (threads included) one learner session may run at once'),
  CNLAB_SESSION_HOME_MIB: variable(count(256), 'MiB', '`256`', 'the size of a learner\'s home, a space of its own in memory: writing beyond it fails with "No space left on device"'),
  CNLAB_SESSION_HOME_FILES: variable(count(20_000), 'count', '`20000`', "the files and folders a learner's home may hold (root only)"),
  CNLAB_SESSION_API_CONNECTIONS: variable(count(32), 'count', '`32`', 'the connections one session may hold open to the Kubernetes API at once; more are refused'),
  CNLAB_SESSION_STARTS_PER_LEARNER: variable(count(10), 'count per minute', '`10`', '`POST /api/sessions` per learner cookie per minute; beyond it, HTTP 429 with `Retry-After`'),
  CNLAB_SESSION_STARTS_PER_ADDRESS: variable(count(60), 'count per minute', '`60`', '`POST /api/sessions` per client address per minute: enough for a classroom of 50 behind one NAT address'),
  CNLAB_SESSION_STARTS: variable(count(240), 'count per minute', '`240`', '`POST /api/sessions` per minute on the whole server'),
  CNLAB_TERMINAL_BACKEND: variable(z.enum(['host', 'pod', 'auto']).default('host'), '`host`, `pod` or `auto`', '`host`', "where a learner's shell runs: `host`, in a sandbox on the server's machine (the single-machine setup); `pod`, in a pod of the learner's namespace under their ServiceAccount, attached through the Kubernetes API, so any server replica reaches it and it outlives a server restart; `auto`, `pod` when cnlab itself runs in a cluster (`KUBERNETES_SERVICE_HOST` is set), else `host`"),
  CNLAB_SANDBOX_UID_BASE: variable(z.coerce.number({ error: 'give a uid' }).int('give a whole number').min(1000, 'give a uid of 1000 or more').default(200_000), 'uid, 1000 or more', '`200000`', 'a root server runs session N as host uid base+N'),
} as const;

export type SettingName = keyof typeof settingsSchema;
export type Settings = { [K in SettingName]: z.output<(typeof settingsSchema)[K]['schema']> };

/** One setting from the environment (unset or empty: its default); a bad value is an error naming it. */
export function setting<K extends SettingName>(name: K, env: NodeJS.ProcessEnv = process.env): Settings[K] {
  const raw = env[name] === '' ? undefined : env[name];
  const declared: Setting<z.ZodType> = settingsSchema[name];
  const parsed = declared.schema.safeParse(raw);
  if (!parsed.success) throw new CnlabError(`${name}="${raw}" is not valid: ${parsed.error.issues[0]?.message}`, `fix or unset it (${name}: ${declared.type}, default ${declared.default})`.replaceAll('`', ''));
  return parsed.data as Settings[K];
}

/** Every setting, parsed at once: a command checks them all before it starts. */
export function readSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  return Object.fromEntries(Object.keys(settingsSchema).map((name) => [name, setting(name as SettingName, env)])) as Settings;
}

/** The README's settings table. */
export function settingsTable(): string {
  const rows = Object.entries(settingsSchema).map(([name, { type, default: shown, description }]) => `| \`${name}\` | ${type} | ${shown} | ${description} |`);
  return ['| variable | type | default | what it sets |', '|---|---|---|---|', ...rows].join('\n');
}

const TABLE_START = '<!-- settings table: generated from server/settings.ts by `node scripts/settings-table.ts` -->';
const TABLE_END = '<!-- end of settings table -->';

/** `readme` with its settings table (between the markers) made from the schema. */
export function replaceSettingsTable(readme: string): string {
  const start = readme.indexOf(TABLE_START);
  const end = readme.indexOf(TABLE_END);
  if (start === -1 || end < start) throw new CnlabError('README.md has no settings table markers', `put ${TABLE_START} and ${TABLE_END} where the table goes`);
  return `${readme.slice(0, start)}${TABLE_START}\n${settingsTable()}\n${readme.slice(end)}`;
}
