// What a broken or hostile API server can do to grading: answer garbage, or accept the
// connection and never answer. Neither may end the server or hang the learner's check.
import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { createServer as createTlsServer } from 'node:https';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { CnlabError } from '../errors.ts';
import { run } from '../exec.ts';
import { API_TIMEOUT_MS } from './deadline.ts';
import { gradeNamespace } from './grade.ts';
import { loadLabs } from './load.ts';
import { listRaw } from './read-raw.ts';

const kubeconfig = (port: number) => {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: `https://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return kc;
};
const listening = (server: Server) => new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));

let garbage: Server;
let hung: Server;
const held: Socket[] = [];

before(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'cnlab-read-raw-'));
  const [keyFile, certFile] = [join(dir, 'key.pem'), join(dir, 'cert.pem')];
  const made = await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=127.0.0.1', '-days', '1', '-keyout', keyFile, '-out', certFile]);
  assert.equal(made.code, 0, made.stderr);
  // Answers every request with 200 and a body that is not JSON.
  garbage = createTlsServer({ key: await readFile(keyFile), cert: await readFile(certFile) }, (_request, response) => response.writeHead(200).end('<html>not the API</html>'));
  // Accepts connections and says nothing, not even the TLS handshake.
  hung = createServer((socket) => held.push(socket));
});

after(() => {
  for (const socket of held) socket.destroy();
  garbage.close();
  hung.close();
});

test("an API server's answer that is not JSON rejects the listing, and the process lives on", async () => {
  const port = await listening(garbage);
  await assert.rejects(listRaw(kubeconfig(port), 'v1', 'pods', 'lab-x'), /listing pods in lab-x: the API server's answer is not a list/);
});

test('a hung API server makes grading give up as "unavailable" within its deadline, not hang', async () => {
  const port = await listening(hung);
  const lab = (await loadLabs()).find((each) => each.definition.id === 'service-endpoints');
  assert.ok(lab);
  const started = Date.now();
  await assert.rejects(gradeNamespace(kubeconfig(port), lab, 'lab-x'), (error: unknown) => {
    assert.ok(error instanceof CnlabError);
    assert.equal(error.exitCode, 2);
    assert.match(error.message, /the cluster is unavailable \(.*did not answer within/);
    return true;
  });
  assert.ok(Date.now() - started < API_TIMEOUT_MS + 5000, 'gave up at its deadline');
  await assert.rejects(listRaw(kubeconfig(port), 'v1', 'pods', 'lab-x'), /did not answer within/);
});
