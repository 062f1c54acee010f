import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { CnlabError } from '../../../errors.ts';
import { run, tail } from '../../../exec.ts';

export type ClientCert = { certFile: string; keyFile: string };

/**
 * A client certificate signed by the cluster's CA: the kubelet as `system:node:<name>` in
 * `system:nodes` (what the Node authorizer grants a kubelet), kube-proxy as `system:kube-proxy`.
 * openssl does it in two commands; Node's crypto cannot issue certificates.
 */
export async function issueClientCert(
  ca: { certFile: string; keyFile: string },
  dir: string,
  name: string,
  subject: { commonName: string; organization?: string },
): Promise<ClientCert> {
  const keyFile = join(dir, `${name}.key`);
  const csrFile = join(dir, `${name}.csr`);
  const certFile = join(dir, `${name}.crt`);
  const subj = `${subject.organization ? `/O=${subject.organization}` : ''}/CN=${subject.commonName}`;
  const steps: string[][] = [
    ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', keyFile, '-subj', subj, '-out', csrFile],
    ['x509', '-req', '-in', csrFile, '-CA', ca.certFile, '-CAkey', ca.keyFile, '-set_serial', `0x${randomBytes(16).toString('hex')}`, '-days', '365', '-out', certFile],
  ];
  for (const args of steps) {
    const result = await run('openssl', args).catch((error: Error) => ({ code: 127, stdout: '', stderr: error.message }));
    if (result.code !== 0) {
      throw new CnlabError(`openssl could not issue the ${name} certificate:\n${tail(result.stderr)}`, 'install openssl (Debian package openssl)');
    }
  }
  return { certFile, keyFile };
}
