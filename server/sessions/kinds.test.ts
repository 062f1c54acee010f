// The lab kinds are listed once (server/shared/kinds.ts); the learner's rights, the grader's
// readers and the reset's sweep are made from that list. These tests hold them together.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { apiGroupOf, labKinds, namespacedLabKinds } from '../shared/kinds.ts';
import { clusterReadRules, namespaceRules } from './policy.ts';

const ALL = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection'];
const READ = ['get', 'list', 'watch'];

/** Each right as "group/resource: verbs", one line per resource. */
const rights = (rules: typeof namespaceRules) =>
  rules.flatMap((rule) => (rule.resources ?? []).flatMap((resource) => (rule.apiGroups ?? []).map((group) => `${group}/${resource}: ${(rule.verbs ?? []).join(',')}`))).sort();

test('every kind a learner may create is one "Reset lab" removes', () => {
  const swept = new Set(namespacedLabKinds.map(([, kind]) => `${apiGroupOf(kind)}/${kind.plural}`));
  const creatable = namespaceRules
    .filter((rule) => rule.verbs.includes('create'))
    // A subresource (pods/exec) is an action on an object, not an object of its own.
    .flatMap((rule) => (rule.resources ?? []).filter((resource) => !resource.includes('/')).flatMap((resource) => (rule.apiGroups ?? []).map((group) => `${group}/${resource}`)));
  assert.ok(creatable.length > 0);
  assert.deepEqual(creatable.filter((resource) => !swept.has(resource)), []);
  // Nothing outside the learner's namespace is ever swept.
  assert.ok(namespacedLabKinds.every(([, kind]) => !kind.clusterScoped));
});

test('every lab kind is one the learner can at least read, so a check never asks about the invisible', () => {
  const readable = new Set([...rights(namespaceRules), ...rights(clusterReadRules)].filter((right) => READ.every((verb) => right.split(': ')[1]?.split(',').includes(verb))).map((right) => right.split(':')[0]));
  assert.deepEqual(Object.entries(labKinds).filter(([, kind]) => !readable.has(`${apiGroupOf(kind)}/${kind.plural}`)).map(([name]) => name), []);
});

test("the learner's rights are exactly the ones the course has always granted", () => {
  const all = ALL.join(',');
  const read = READ.join(',');
  assert.deepEqual(
    rights(namespaceRules),
    [
      ...['pods', 'services', 'configmaps', 'secrets', 'persistentvolumeclaims', 'serviceaccounts'].map((r) => `/${r}: ${all}`),
      `/pods/log: ${read}`,
      // Since pods run on a real node: into their own pods.
      ...['pods/exec', 'pods/attach', 'pods/portforward'].map((r) => `/${r}: get,create`),
      '/pods/ephemeralcontainers: get,update,patch',
      `metrics.k8s.io/pods: ${read}`,
      ...['endpoints', 'events', 'resourcequotas', 'limitranges', 'replicationcontrollers'].map((r) => `/${r}: ${read}`),
      '/namespaces: get',
      ...['deployments', 'replicasets', 'statefulsets', 'daemonsets'].map((r) => `apps/${r}: ${all}`),
      ...['deployments/scale', 'statefulsets/scale', 'replicasets/scale'].map((r) => `apps/${r}: get,update,patch`),
      ...['jobs', 'cronjobs'].map((r) => `batch/${r}: ${all}`),
      `autoscaling/horizontalpodautoscalers: ${all}`,
      ...['ingresses', 'networkpolicies'].map((r) => `networking.k8s.io/${r}: ${all}`),
      `discovery.k8s.io/endpointslices: ${read}`,
      `events.k8s.io/events: ${read}`,
      ...['roles', 'rolebindings'].map((r) => `rbac.authorization.k8s.io/${r}: ${all}`),
    ].sort(),
  );
  assert.deepEqual(
    rights(clusterReadRules),
    [`/nodes: ${read}`, `metrics.k8s.io/nodes: ${read}`, `networking.k8s.io/ingressclasses: ${read}`, `storage.k8s.io/storageclasses: ${read}`, 'coordination.k8s.io/leases: get'].sort(),
  );
});
