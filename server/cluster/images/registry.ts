// The local OCI registry: Debian's docker-registry (CNCF distribution 2.8) on filesystem storage.
// The build writes into it once through a private writable instance; clusters then serve the
// same storage read-only. Repositories keep their upstream host as the first part of the name
// (docker.io/library/nginx), so one registry stands in for several upstream hosts.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { CnlabError } from '../../errors.ts';
import { tail } from '../../exec.ts';
import { MEDIA_TYPES, type Blob } from './oci.ts';

export const REGISTRY_BINARY = '/usr/bin/docker-registry';

/** The upstream hosts the catalogue's repositories live on, which the registry mirrors. */
export const MIRRORED_HOSTS = ['docker.io', 'registry.k8s.io'] as const;

function config(storageDir: string, address: string, readonly: boolean): string {
  return [
    '# Written by cnlab (server/cluster/images/registry.ts).',
    'version: 0.1',
    'log:',
    '  level: info',
    '  formatter: text',
    '  accesslog:',
    '    disabled: false',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${JSON.stringify(storageDir)}`,
    '  maintenance:',
    // Nothing is ever uploaded halfway that would need purging; the scan only costs time.
    '    uploadpurging:',
    '      enabled: false',
    '    readonly:',
    `      enabled: ${readonly}`,
    'http:',
    `  addr: ${JSON.stringify(address)}`,
    '',
  ].join('\n');
}

/**
 * The configuration of a read-only registry serving the built catalogue at `storageDir` on
 * `address` (host:port), without authentication. distribution writes its access log (one line
 * per request) to standard output and its own log to standard error; it has no setting to send
 * both to one stream. Uploads are refused (405), so the storage may be mounted read-only.
 */
export function registryConfig(storageDir: string, address: string): string {
  return config(storageDir, address, true);
}

/**
 * containerd's hosts.toml for each mirrored upstream host (certs.d/<host>/hosts.toml), sending
 * every pull to the local registry at `registryAddress` (host:port). The registry is the server
 * itself, not a mirror in front of the internet: a tag the catalogue lacks is a 404 and the pull
 * fails at once (ErrImagePull), as it would upstream for a tag that does not exist.
 */
export function mirrorHosts(registryAddress: string): Record<string, string> {
  return Object.fromEntries(
    MIRRORED_HOSTS.map((host) => [
      host,
      [
        `# ${host} is served by cnlab's local image registry only (written by server/cluster/images/registry.ts).`,
        `server = "http://${registryAddress}/v2/${host}"`,
        // The URL's path is the API root: /v2/<host>/<repository>/manifests/<tag>.
        'override_path = true',
        'capabilities = ["pull", "resolve"]',
        '',
      ].join('\n'),
    ]),
  );
}

/** A loopback port that was free a moment ago. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export type RunningRegistry = { address: string; stop(): Promise<void> };

/** Starts docker-registry on a free loopback port, answering once /v2/ does. */
export async function startRegistry(storageDir: string, workDir: string, options: { readonly: boolean }): Promise<RunningRegistry> {
  const address = `127.0.0.1:${await freePort()}`;
  const configFile = join(workDir, `registry-${address.split(':')[1]}.yml`);
  await writeFile(configFile, config(storageDir, address, options.readonly));
  const child = spawn(REGISTRY_BINARY, ['serve', configFile], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-20_000)));
  const exited = new Promise<number | null>((resolve) => {
    child.on('error', () => resolve(-1));
    child.on('exit', (code) => resolve(code));
  });
  const stop = () => stopChild(child, exited);
  const deadline = Date.now() + 15_000;
  for (;;) {
    const state = await Promise.race([exited.then((code) => ({ code })), answers(address).then((ok) => ({ ok }))]);
    if ('code' in state) {
      throw new CnlabError(
        state.code === -1 ? `${REGISTRY_BINARY} cannot be run` : `docker-registry exited (${state.code}) on starting:\n${tail(log)}`,
        'install it: sudo apt-get install --no-install-recommends docker-registry',
      );
    }
    if (state.ok) return { address, stop };
    if (Date.now() > deadline) {
      await stop();
      throw new CnlabError(`docker-registry did not answer on ${address} within 15s:\n${tail(log)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function answers(address: string): Promise<boolean> {
  try {
    return (await fetch(`http://${address}/v2/`, { signal: AbortSignal.timeout(1000) })).status === 200;
  } catch {
    return false;
  }
}

async function stopChild(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

async function expectStatus(response: Response, expected: number, what: string, registry: string): Promise<Response> {
  if (response.status !== expected) throw new CnlabError(`${registry} refused ${what}: HTTP ${response.status} ${(await response.text()).slice(0, 500)}`);
  return response;
}

/** A registry reached over the OCI distribution API: its base URL, and fetch with whatever credentials it takes. */
export type RegistryClient = { name: string; base: string; fetch(url: string | URL, init?: RequestInit): Promise<Response> };

/** The local registry, plain HTTP without credentials. */
export const localRegistry = (address: string): RegistryClient => ({ name: 'the local registry', base: `http://${address}`, fetch: (url, init) => fetch(url, init) });

/**
 * A real registry (https://host[:port]), anonymous or with a user and password or token: Basic
 * where the registry asks for it, else the token flow every public registry uses (a 401 with
 * `WWW-Authenticate: Bearer realm=…,service=…,scope=…`, a token from the realm, the request again).
 */
export function remoteRegistry(base: string, credentials?: { username: string; password: string }): RegistryClient {
  const basic = credentials && `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
  const tokens = new Map<string, string>();
  const name = new URL(base).host;
  async function token(challenge: string): Promise<string | undefined> {
    const fields = Object.fromEntries([...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((match) => [match[1], match[2]]));
    if (!fields.realm) return undefined;
    const url = new URL(fields.realm);
    if (fields.service) url.searchParams.set('service', fields.service);
    if (fields.scope) url.searchParams.set('scope', fields.scope);
    const response = await fetch(url, basic ? { headers: { authorization: basic } } : {});
    if (!response.ok) throw new CnlabError(`${name}'s token service ${url.host} refused a token: HTTP ${response.status}`, 'check CNLAB_REGISTRY_USERNAME and CNLAB_REGISTRY_PASSWORD');
    const body = (await response.json()) as { token?: string; access_token?: string };
    return body.token ?? body.access_token;
  }
  return {
    name,
    base,
    async fetch(url, init = {}) {
      const scope = new URL(url).pathname.split('/').slice(2, -2).join('/');
      const withAuth = (authorization: string | undefined) => fetch(url, { ...init, headers: { ...(init.headers as Record<string, string>), ...(authorization ? { authorization } : {}) } });
      const cached = tokens.get(scope);
      const first = await withAuth(cached ? `Bearer ${cached}` : undefined);
      const challenge = first.headers.get('www-authenticate') ?? '';
      if (first.status !== 401) return first;
      if (/^basic/i.test(challenge)) return withAuth(basic);
      const fresh = await token(challenge.replace(/^bearer\s+/i, ''));
      if (!fresh) return first;
      tokens.set(scope, fresh);
      return withAuth(`Bearer ${fresh}`);
    },
  };
}

/** Uploads a blob unless the repository has it (monolithic upload: POST, then PUT with the digest). */
async function pushBlob(registry: RegistryClient, repository: string, blob: Blob): Promise<void> {
  if ((await registry.fetch(`${registry.base}/v2/${repository}/blobs/${blob.digest}`, { method: 'HEAD' })).status === 200) return;
  const started = await expectStatus(await registry.fetch(`${registry.base}/v2/${repository}/blobs/uploads/`, { method: 'POST' }), 202, `an upload to ${repository}`, registry.name);
  const location = new URL(started.headers.get('location') ?? '', registry.base);
  location.searchParams.set('digest', blob.digest);
  await expectStatus(
    await registry.fetch(location, { method: 'PUT', body: await readFile(blob.path), headers: { 'content-type': 'application/octet-stream' } }),
    201,
    `blob ${blob.digest} of ${repository}`,
    registry.name,
  );
}

/** Pushes an image's blobs, then its manifest under every tag, through the OCI distribution API. */
export async function pushImage(registry: RegistryClient, repository: string, tags: string[], blobs: Blob[], manifest: Blob): Promise<void> {
  for (const blob of blobs) await pushBlob(registry, repository, blob);
  const body = await readFile(manifest.path);
  for (const tag of tags) {
    const response = await expectStatus(
      await registry.fetch(`${registry.base}/v2/${repository}/manifests/${tag}`, { method: 'PUT', body, headers: { 'content-type': MEDIA_TYPES.manifest } }),
      201,
      `the manifest ${repository}:${tag}`,
      registry.name,
    );
    const digest = response.headers.get('docker-content-digest');
    if (digest !== null && digest !== manifest.digest) throw new CnlabError(`${registry.name} stored ${repository}:${tag} as ${digest}, not ${manifest.digest}`);
  }
}
