import { request } from 'node:https';
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';

/**
 * Lists objects as the API serves them. The client library's typed models rename fields (`from`
 * becomes `_from`) and turn timestamps into Dates; lab authors write paths against the API's own
 * JSON, so the grader reads exactly that.
 */
export async function listRaw(kc: KubeConfig, apiVersion: string, plural: string, namespace?: string): Promise<KubernetesObject[]> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('the kubeconfig has no current cluster');
  const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  const url = new URL(`${cluster.server.replace(/\/$/, '')}${base}${namespace ? `/namespaces/${encodeURIComponent(namespace)}` : ''}/${plural}`);
  const options = { method: 'GET', hostname: url.hostname, port: url.port, path: url.pathname, headers: { accept: 'application/json' } };
  await kc.applyToHTTPSOptions(options);
  return new Promise((resolve, reject) => {
    const req = request(options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode !== 200) return reject(new Error(`listing ${plural}${namespace ? ` in ${namespace}` : ''} failed (HTTP ${res.statusCode}): ${body.slice(0, 200)}`));
        resolve((JSON.parse(body) as { items: KubernetesObject[] }).items);
      });
    });
    req.on('error', reject);
    req.end();
  });
}
