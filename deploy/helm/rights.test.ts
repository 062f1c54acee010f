// The chart's ClusterRole on a real API server: every call the server makes (starting up,
// provisioning a learner, seeding, grading and resetting every lab, ending a session, the
// reconcile) succeeds as the chart's ServiceAccount, and what the server must never do is refused.
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { AdmissionregistrationV1Api, CoreV1Api, KubeConfig, KubernetesObjectApi, type KubernetesObject, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { loadKubeConfig } from '../../server/cluster/health.ts';
import { ensureLearnerTools } from '../../server/cluster/local/toolchain.ts';
import { run } from '../../server/exec.ts';
import { gradeNamespace } from '../../server/labs/grade.ts';
import { loadLabs } from '../../server/labs/load.ts';
import { projectRoot } from '../../server/paths.ts';
import { ensureLearnerAdmission } from '../../server/sessions/learner-admission.ts';
import { deleteNamespace, ensureClusterReadRole, learnerNamespace, listLearnerNamespaces, provisionNamespace, reconcile } from '../../server/sessions/provision.ts';
import { applySetup, wipeNamespace } from '../../server/sessions/seed.ts';
import { createSteps } from '../../server/steps.ts';

// Simulated nodes only: this is about the API server's authorization, not about running pods.
const env = { ...process.env, CNLAB_STATE_DIR: await mkdtemp(join(tmpdir(), 'cnlab-chart-rights-')), CNLAB_CLUSTER_NAME: 'cnlab-chart-rights', CNLAB_PROVIDER: 'local', CNLAB_REAL_NODE: 'off' };
const cli = (...args: string[]) => run(process.execPath, [join(projectRoot, 'server', 'cli.ts'), ...args], { env });
let admin: KubeConfig;
let server: KubeConfig;

before(async () => {
  const up = await cli('cluster', 'up');
  assert.equal(up.code, 0, up.stderr);
  admin = loadKubeConfig({ provider: 'local', kubeconfig: (await cli('cluster', 'kubeconfig')).stdout.trim() });
  const { helm } = await ensureLearnerTools(createSteps(() => undefined));
  const rendered = await run(helm, ['template', 'cnlab', join(projectRoot, 'deploy', 'helm', 'cnlab'), '--namespace', 'cnlab', '--show-only', 'templates/serviceaccount.yaml', '--show-only', 'templates/clusterrole.yaml']);
  assert.equal(rendered.code, 0, rendered.stderr);
  await admin.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: 'cnlab' } } });
  const objects = KubernetesObjectApi.makeApiClient(admin);
  for (const doc of parseAllDocuments(rendered.stdout)) {
    const object = doc.toJS() as KubernetesObject | null;
    // `helm template` leaves the release namespace to the installer, as `helm install` fills it in.
    if (object) await objects.create(object.kind === 'ServiceAccount' ? { ...object, metadata: { ...object.metadata, namespace: 'cnlab' } } : object);
  }
  const token = await admin.makeApiClient(CoreV1Api).createNamespacedServiceAccountToken({ name: 'cnlab', namespace: 'cnlab', body: { spec: { audiences: [], expirationSeconds: 3600 } } });
  const cluster = admin.getCurrentCluster();
  server = new KubeConfig();
  server.loadFromClusterAndUser({ name: 'cluster', server: cluster?.server ?? '', caFile: cluster?.caFile, caData: cluster?.caData, skipTLSVerify: false }, { name: 'cnlab', token: token.status?.token ?? '' });
});

after(async () => {
  await cli('cluster', 'down');
});

test('everything the server does works as the chart\'s ServiceAccount', async () => {
  await ensureClusterReadRole(server);
  // Twice: the second start replaces the cluster-read role and re-applies the policies.
  await ensureClusterReadRole(server);
  assert.deepEqual(await ensureLearnerAdmission(server), { userNamespaces: false });
  await ensureLearnerAdmission(server);
  const namespace = 'lab-chartrights1';
  const owner = 'a'.repeat(16);
  const learner = await provisionNamespace(server, { namespace, owner, lab: 'any', expiresAt: new Date(Date.now() + 3600_000) });
  assert.ok(learner.token.length > 0);
  const seeded = (await loadLabs()).filter((lab) => lab.setup.length > 0);
  assert.ok(seeded.length > 5);
  for (const lab of seeded) {
    await applySetup(server, namespace, lab.setup);
    const result = await gradeNamespace(server, lab, namespace, { learnerOnly: true });
    assert.equal(result.passed, false, `${lab.definition.id} untouched does not pass`);
    await wipeNamespace(server, namespace);
  }
  assert.deepEqual((await listLearnerNamespaces(server)).map((ns) => ns.metadata?.name), [namespace]);
  assert.equal(await learnerNamespace(server, 'nobody', 'any'), undefined);
  await deleteNamespace(server, namespace);
  assert.deepEqual((await reconcile(server, 0)).deleted, []);
});

test('what the server must never do is refused', async () => {
  const refused = async (what: string, call: () => Promise<unknown>) => {
    await assert.rejects(call, (error: { code?: number }) => error.code === 403, `${what} should be forbidden`);
  };
  const rbac = server.makeApiClient(RbacAuthorizationV1Api);
  await refused('binding itself to cluster-admin', () =>
    rbac.createClusterRoleBinding({ body: { metadata: { name: 'cnlab-escalate' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' }, subjects: [{ kind: 'ServiceAccount', name: 'cnlab', namespace: 'cnlab' }] } }),
  );
  await refused('a ClusterRole with rights it does not hold', () =>
    rbac.createClusterRole({ body: { metadata: { name: 'cnlab-wider' }, rules: [{ apiGroups: [''], resources: ['nodes'], verbs: ['delete'] }] } }),
  );
  await refused('another admission policy', () =>
    KubernetesObjectApi.makeApiClient(server).create({
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicy',
      metadata: { name: 'not-cnlab' },
      spec: { matchConstraints: { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'] }] }, validations: [{ expression: 'true' }] },
    } as KubernetesObject),
  );
  await refused('deleting an admission policy of someone else', () => server.makeApiClient(AdmissionregistrationV1Api).deleteValidatingAdmissionPolicy({ name: 'not-cnlab' }));
  await refused('deleting a node', () => server.makeApiClient(CoreV1Api).deleteNode({ name: 'anything' }));
});
