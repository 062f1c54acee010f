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

async function expectStatus(response: Response, expected: number, what: string): Promise<Response> {
  if (response.status !== expected) throw new CnlabError(`the local registry refused ${what}: HTTP ${response.status} ${await response.text()}`);
  return response;
}

/** Uploads a blob unless the repository has it (monolithic upload: POST, then PUT with the digest). */
async function pushBlob(base: string, repository: string, blob: Blob): Promise<void> {
  if ((await fetch(`${base}/v2/${repository}/blobs/${blob.digest}`, { method: 'HEAD' })).status === 200) return;
  const started = await expectStatus(await fetch(`${base}/v2/${repository}/blobs/uploads/`, { method: 'POST' }), 202, `an upload to ${repository}`);
  const location = new URL(started.headers.get('location') ?? '', base);
  location.searchParams.set('digest', blob.digest);
  await expectStatus(
    await fetch(location, { method: 'PUT', body: await readFile(blob.path), headers: { 'content-type': 'application/octet-stream' } }),
    201,
    `blob ${blob.digest} of ${repository}`,
  );
}

/** Pushes an image's blobs, then its manifest under every tag, through the Registry HTTP API. */
export async function pushImage(address: string, repository: string, tags: string[], blobs: Blob[], manifest: Blob): Promise<void> {
  const base = `http://${address}`;
  for (const blob of blobs) await pushBlob(base, repository, blob);
  const body = await readFile(manifest.path);
  for (const tag of tags) {
    const response = await expectStatus(
      await fetch(`${base}/v2/${repository}/manifests/${tag}`, { method: 'PUT', body, headers: { 'content-type': MEDIA_TYPES.manifest } }),
      201,
      `the manifest ${repository}:${tag}`,
    );
    const digest = response.headers.get('docker-content-digest');
    if (digest !== manifest.digest) throw new CnlabError(`the local registry stored ${repository}:${tag} as ${digest}, not ${manifest.digest}`);
  }
}
