import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import type { V1PolicyRule } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { ensureLearnerTools } from '../../server/cluster/local/toolchain.ts';
import { run } from '../../server/exec.ts';
import { projectRoot } from '../../server/paths.ts';
import { clusterReadRules, namespaceRules } from '../../server/sessions/policy.ts';
import { LEARNER } from '../../server/sessions/provision.ts';
import { createSteps } from '../../server/steps.ts';

// The Helm chart rendered by the helm the toolchain builds: lint clean, the objects each values
// file asks for, the server's rights no wider than its code needs (and wide enough for what it
// grants learners), restricted pods, and secrets only ever by reference.

const chart = join(projectRoot, 'deploy', 'helm', 'cnlab');
const valuesFiles = { ingressExternalDb: join(chart, 'ci', 'ingress-external-db.yaml'), bundledDb: join(chart, 'ci', 'bundled-db.yaml') };

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; [key: string]: unknown };
type Container = {
  name: string;
  image: string;
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
  securityContext?: { allowPrivilegeEscalation?: boolean; readOnlyRootFilesystem?: boolean; privileged?: boolean; runAsUser?: number; capabilities?: { drop?: string[]; add?: string[] } };
  readinessProbe?: { httpGet?: { path: string; httpHeaders?: { name: string; value: string }[] } };
  livenessProbe?: { httpGet?: { path: string } };
};
type PodSpec = {
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number; seccompProfile?: { type: string } };
  containers: Container[];
  initContainers?: Container[];
  volumes?: { name: string; hostPath?: unknown }[];
};

let helm: string;
before(async () => {
  helm = (await ensureLearnerTools(createSteps(() => undefined))).helm;
});

async function helmRun(args: string[]): Promise<{ code: number; output: string }> {
  const result = await run(helm, args, { cwd: projectRoot });
  return { code: result.code, output: result.stdout + result.stderr };
}

async function render(...valueFiles: string[]): Promise<Obj[]> {
  const { code, output } = await helmRun(['template', 'lab', chart, '--namespace', 'cnlab', ...valueFiles.flatMap((file) => ['--values', file])]);
  assert.equal(code, 0, output);
  return parseAllDocuments(output)
    .map((doc) => {
      assert.deepEqual(doc.errors, [], `helm rendered YAML that does not parse: ${doc.errors.join('; ')}`);
      return doc.toJS() as Obj | null;
    })
    .filter((obj): obj is Obj => obj !== null);
}

const ofKind = (objects: Obj[], kind: string) => objects.filter((obj) => obj.kind === kind);
const one = (objects: Obj[], kind: string) => {
  const found = ofKind(objects, kind);
  assert.equal(found.length, 1, `one ${kind} expected, found ${found.length}`);
  return found[0] as Obj;
};
const podSpec = (obj: Obj) => (obj.spec as { template: { spec: PodSpec } }).template.spec;
const serverContainer = (objects: Obj[]) => podSpec(one(objects, 'Deployment')).containers[0] as Container;
const envOf = (container: Container, name: string) => container.env?.find((entry) => entry.name === name);

test('helm lint passes with the default values and each values file', async () => {
  for (const args of [[], ...Object.values(valuesFiles).map((file) => ['--values', file])]) {
    const { code, output } = await helmRun(['lint', '--strict', chart, ...args]);
    assert.equal(code, 0, output);
  }
});

test('the default values render a trial: the server, its rights, its Secret, a PodDisruptionBudget and the bundled PostgreSQL', async () => {
  const objects = await render();
  assert.deepEqual(
    [...new Set(objects.map((obj) => obj.kind))].sort(),
    ['ClusterRole', 'ClusterRoleBinding', 'Deployment', 'PodDisruptionBudget', 'Role', 'RoleBinding', 'Secret', 'Service', 'ServiceAccount', 'StatefulSet'],
  );
  const deployment = one(objects, 'Deployment');
  assert.equal((deployment.spec as { replicas: number }).replicas, 2);
  const server = serverContainer(objects);
  assert.equal(server.image, 'docker.io/cnlab/server:0.1.0');
  assert.equal(envOf(server, 'CNLAB_PROVIDER')?.value, 'kubeconfig');
  assert.equal(envOf(server, 'CNLAB_PUBLIC_URL'), undefined, 'no ingress, no public URL');
  // The ServiceAccount the pod runs as is the one the ClusterRoleBinding names.
  const binding = one(objects, 'ClusterRoleBinding') as Obj & { subjects: { name: string; namespace: string }[]; roleRef: { name: string } };
  assert.deepEqual(binding.subjects.map((subject) => [subject.name, subject.namespace]), [[(podSpec(deployment) as PodSpec & { serviceAccountName: string }).serviceAccountName, 'cnlab']]);
  assert.equal(binding.roleRef.name, one(objects, 'ClusterRole').metadata.name);
  // Probes that do not depend on the cluster, with a Host the server's DNS-rebinding guard accepts.
  assert.equal(server.readinessProbe?.httpGet?.path, '/api/health/live');
  assert.equal(server.livenessProbe?.httpGet?.path, '/api/health/live');
  assert.deepEqual(server.readinessProbe?.httpGet?.httpHeaders, [{ name: 'Host', value: 'localhost:4321' }]);
  const pdb = one(objects, 'PodDisruptionBudget') as Obj & { spec: { minAvailable: number; selector: { matchLabels: Record<string, string> } } };
  assert.equal(pdb.spec.minAvailable, 1);
  const podLabels = (deployment.spec as { template: { metadata: { labels: Record<string, string> } } }).template.metadata.labels;
  for (const [key, value] of Object.entries(pdb.spec.selector.matchLabels)) assert.equal(podLabels[key], value, `the PodDisruptionBudget selects the server pods by ${key}`);
});

test('ingress with TLS, an external database, the pod terminal backend and resource budgets', async () => {
  const objects = await render(valuesFiles.ingressExternalDb);
  assert.equal(ofKind(objects, 'StatefulSet').length, 0, 'no bundled PostgreSQL beside an external one');
  assert.equal(ofKind(objects, 'Secret').length, 0, 'the keys come from the existing Secret');
  const ingress = one(objects, 'Ingress') as Obj & { spec: { ingressClassName: string; tls: { hosts: string[]; secretName: string }[]; rules: { host: string; http: { paths: { backend: { service: { name: string } } }[] } }[] } };
  assert.equal(ingress.spec.ingressClassName, 'nginx');
  assert.deepEqual(ingress.spec.tls, [{ hosts: ['lab.example.org'], secretName: 'lab-example-org-tls' }]);
  assert.equal(ingress.spec.rules[0]?.host, 'lab.example.org');
  assert.equal(ingress.spec.rules[0]?.http.paths[0]?.backend.service.name, one(objects, 'Service').metadata.name);
  const server = serverContainer(objects);
  assert.equal(server.image, 'registry.example.org/platform/cnlab:0.1.0-test');
  assert.equal(envOf(server, 'CNLAB_PUBLIC_URL')?.value, 'https://lab.example.org');
  assert.equal(envOf(server, 'CNLAB_TRUST_PROXY')?.value, 'on');
  assert.equal(envOf(server, 'CNLAB_TERMINAL_BACKEND')?.value, 'pod');
  assert.equal(envOf(server, 'CNLAB_MAX_SESSIONS')?.value, '500');
  assert.equal(envOf(server, 'CNLAB_MAX_SESSIONS_PER_LEARNER')?.value, '2');
  assert.equal(envOf(server, 'CNLAB_SESSION_SWEEP_SECONDS')?.value, '20');
  assert.deepEqual(envOf(server, 'CNLAB_DATABASE_URL')?.valueFrom?.secretKeyRef, { name: 'cnlab-database', key: 'url' });
  assert.deepEqual(envOf(server, 'CNLAB_COOKIE_SECRET')?.valueFrom?.secretKeyRef, { name: 'cnlab-keys', key: 'cookie-secret' });
  assert.deepEqual((server as Container & { resources: unknown }).resources, { requests: { cpu: '1', memory: '1Gi' }, limits: { memory: '2Gi' } });
  assert.equal((one(objects, 'Deployment').spec as { replicas: number }).replicas, 3);
});

test('the bundled PostgreSQL: one replica with its own volume, the server given its URL from the chart\'s Secret', async () => {
  const objects = await render(valuesFiles.bundledDb);
  const statefulSet = one(objects, 'StatefulSet') as Obj & { spec: { replicas: number; volumeClaimTemplates: { spec: { storageClassName: string; resources: { requests: { storage: string } } } }[] } };
  assert.equal(statefulSet.spec.replicas, 1);
  assert.equal(statefulSet.spec.volumeClaimTemplates[0]?.spec.storageClassName, 'local-path');
  assert.equal(statefulSet.spec.volumeClaimTemplates[0]?.spec.resources.requests.storage, '2Gi');
  assert.equal((podSpec(statefulSet).containers[0] as Container).image, 'docker.io/library/postgres:17');
  const ref = envOf(serverContainer(objects), 'CNLAB_DATABASE_URL')?.valueFrom?.secretKeyRef;
  const secret = ofKind(objects, 'Secret').find((obj) => obj.metadata.name === ref?.name) as Obj & { data: Record<string, string> };
  assert.ok(secret, 'the database URL comes from a Secret the chart renders');
  const url = new URL(Buffer.from(secret.data[ref?.key ?? ''] ?? '', 'base64').toString());
  const service = ofKind(objects, 'Service').find((obj) => obj.metadata.labels?.['app.kubernetes.io/component'] === 'postgresql');
  assert.equal(url.hostname, service?.metadata.name, 'the URL names the PostgreSQL Service');
  assert.equal(decodeURIComponent(url.password), Buffer.from(secret.data.password ?? '', 'base64').toString(), 'the URL carries the password PostgreSQL is started with');
  assert.ok(url.password.length >= 32);
});

test('values that cannot work are refused with the fix', async () => {
  const refused = async (set: string[], message: RegExp) => {
    const { code, output } = await helmRun(['template', 'lab', chart, ...set.flatMap((value) => ['--set', value])]);
    assert.notEqual(code, 0);
    assert.match(output, message);
  };
  await refused(['postgresql.bundled=false'], /replicas > 1 need a shared PostgreSQL/);
  await refused(['database.existingSecret=db'], /choose one/);
  await refused(['ingress.enabled=true'], /ingress.enabled needs ingress.host/);
  await refused(['terminal.backend=ssh'], /choose host or pod/);
});

const allRenders = async () => [await render(), await render(valuesFiles.ingressExternalDb), await render(valuesFiles.bundledDb)];

/** Whether the ClusterRole's rules grant `verb` on group/resource to any object (no resourceNames). */
const grants = (rules: V1PolicyRule[], group: string, resource: string, verb: string) =>
  rules.some((rule) => !rule.resourceNames && rule.apiGroups?.includes(group) && rule.resources?.includes(resource) && rule.verbs.includes(verb));

test('the ClusterRole: no `*` anywhere, and every right the server grants learners is one it holds (RBAC escalation check)', async () => {
  for (const objects of await allRenders()) {
    const rules = (one(objects, 'ClusterRole') as Obj & { rules: V1PolicyRule[] }).rules;
    for (const rule of rules) {
      for (const value of [...(rule.apiGroups ?? []), ...(rule.resources ?? []), ...rule.verbs, ...(rule.resourceNames ?? []), ...(rule.nonResourceURLs ?? [])]) {
        assert.ok(!value.includes('*'), `a wildcard in ${JSON.stringify(rule)}`);
      }
      assert.equal(rule.nonResourceURLs, undefined);
    }
    for (const learnerRule of [...namespaceRules, ...clusterReadRules]) {
      for (const group of learnerRule.apiGroups ?? []) {
        for (const resource of learnerRule.resources ?? []) {
          for (const verb of learnerRule.verbs) assert.ok(grants(rules, group, resource, verb), `learners get ${verb} ${group}/${resource} (server/sessions/policy.ts), which the server does not hold`);
        }
      }
    }
    // provision.ts creates the learner's RoleBinding alongside its Role: `bind` on that name only.
    assert.ok(rules.some((rule) => rule.resources?.includes('roles') && rule.verbs.includes('bind') && JSON.stringify(rule.resourceNames) === JSON.stringify([LEARNER])));
    assert.ok(!rules.some((rule) => rule.verbs.some((verb) => verb === 'bind' || verb === 'escalate') && !rule.resourceNames), 'bind or escalate without names would let the server grant anything');
    // The admission policies the server applies at start (server-side apply: a patch, and a create of that name where missing) and may remove.
    const plural: Record<string, string> = {
      ValidatingAdmissionPolicy: 'validatingadmissionpolicies',
      ValidatingAdmissionPolicyBinding: 'validatingadmissionpolicybindings',
      MutatingAdmissionPolicy: 'mutatingadmissionpolicies',
      MutatingAdmissionPolicyBinding: 'mutatingadmissionpolicybindings',
    };
    for (const file of ['learner-admission.yaml', 'learner-user-namespaces.yaml']) {
      for (const doc of parseAllDocuments(readFileSync(join(projectRoot, 'server', 'sessions', file), 'utf8'))) {
        const policy = doc.toJS() as Obj;
        const resource = plural[policy.kind] as string;
        for (const verb of ['create', 'patch', 'delete']) {
          assert.ok(
            rules.some((rule) => rule.apiGroups?.includes('admissionregistration.k8s.io') && rule.resources?.includes(resource) && rule.resourceNames?.includes(policy.metadata.name) && rule.verbs.includes(verb)),
            `the server applies ${policy.kind} ${policy.metadata.name} (${file}) but may not ${verb} it`,
          );
        }
        assert.ok(!grants(rules, 'admissionregistration.k8s.io', resource, 'create'), `creating any ${policy.kind} would let the server admit or change anything`);
      }
    }
  }
});

test('every pod meets Pod Security "restricted"', async () => {
  for (const objects of await allRenders()) {
    for (const workload of [...ofKind(objects, 'Deployment'), ...ofKind(objects, 'StatefulSet')]) {
      const spec = podSpec(workload);
      const what = `${workload.kind} ${workload.metadata.name}`;
      assert.equal(spec.securityContext?.runAsNonRoot, true, what);
      assert.notEqual(spec.securityContext?.runAsUser, 0, what);
      assert.equal(spec.securityContext?.seccompProfile?.type, 'RuntimeDefault', what);
      assert.ok(!spec.hostNetwork && !spec.hostPID && !spec.hostIPC, what);
      assert.ok(!spec.volumes?.some((volume) => volume.hostPath), `${what} mounts a host path`);
      for (const container of [...spec.containers, ...(spec.initContainers ?? [])]) {
        const security = container.securityContext;
        assert.equal(security?.allowPrivilegeEscalation, false, `${what} ${container.name}`);
        assert.equal(security?.readOnlyRootFilesystem, true, `${what} ${container.name}`);
        assert.ok(!security?.privileged, `${what} ${container.name}`);
        assert.deepEqual(security?.capabilities?.drop, ['ALL'], `${what} ${container.name}`);
        assert.equal(security?.capabilities?.add, undefined, `${what} ${container.name}`);
      }
    }
  }
});

test('secrets reach pods only by reference: never in a ConfigMap, an env literal or anywhere but their Secret', async () => {
  for (const objects of await allRenders()) {
    assert.equal(ofKind(objects, 'ConfigMap').length, 0);
    const secretValues = ofKind(objects, 'Secret').flatMap((secret) => Object.values((secret as Obj & { data: Record<string, string> }).data).map((value) => Buffer.from(value, 'base64').toString()));
    const password = secretValues.find((value) => /^[A-Za-z0-9]{40}$/.test(value));
    for (const obj of objects.filter((candidate) => candidate.kind !== 'Secret')) {
      const text = JSON.stringify(obj);
      for (const value of secretValues) {
        // A URL holds the password; check the password itself too.
        assert.ok(!text.includes(value), `a secret value is in ${obj.kind} ${obj.metadata.name}`);
      }
      if (password) assert.ok(!text.includes(password), `the database password is in ${obj.kind} ${obj.metadata.name}`);
    }
    for (const workload of [...ofKind(objects, 'Deployment'), ...ofKind(objects, 'StatefulSet')]) {
      for (const container of podSpec(workload).containers) {
        for (const entry of container.env ?? []) {
          if (/SECRET|TOKEN|PASSWORD|DATABASE_URL/.test(entry.name)) {
            assert.equal(entry.value, undefined, `${entry.name} of ${workload.metadata.name} is a literal`);
            assert.ok(entry.valueFrom?.secretKeyRef, `${entry.name} of ${workload.metadata.name} comes from a Secret`);
          }
        }
      }
    }
  }
});
