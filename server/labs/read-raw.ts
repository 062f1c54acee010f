import { request } from 'node:https';
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { API_TIMEOUT_MS } from './deadline.ts';

/**
 * Lists objects as the API serves them. The client library's typed models rename fields (`from`
 * becomes `_from`) and turn timestamps into Dates; lab authors write paths against the API's own
 * JSON, so the grader reads exactly that. Whatever the API server answers (nothing, garbage), the
 * promise settles: this runs in the server, where a throw in a callback would end it.
 */
export async function listRaw(kc: KubeConfig, apiVersion: string, plural: string, namespace?: string): Promise<KubernetesObject[]> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('the kubeconfig has no current cluster');
  const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  const url = new URL(`${cluster.server.replace(/\/$/, '')}${base}${namespace ? `/namespaces/${encodeURIComponent(namespace)}` : ''}/${plural}`);
  const options = { method: 'GET', hostname: url.hostname, port: url.port, path: url.pathname, headers: { accept: 'application/json' }, signal: AbortSignal.timeout(API_TIMEOUT_MS) };
  await kc.applyToHTTPSOptions(options);
  const what = `listing ${plural}${namespace ? ` in ${namespace}` : ''}`;
  return new Promise((resolve, reject) => {
    const req = request(options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode !== 200) return reject(new Error(`${what} failed (HTTP ${res.statusCode}): ${body.slice(0, 200)}`));
        try {
          const items = (JSON.parse(body) as { items?: unknown }).items;
          if (!Array.isArray(items)) throw new Error('it has no items list');
          resolve(items as KubernetesObject[]);
        } catch (error) {
          reject(new Error(`${what}: the API server's answer is not a list (${(error as Error).message}): ${body.slice(0, 200)}`));
        }
      });
    });
    req.on('error', (error) => reject(error.name === 'AbortError' || error.name === 'TimeoutError' ? new Error(`${what}: the API server did not answer within ${API_TIMEOUT_MS / 1000} s`) : error));
    req.end();
  });
}
