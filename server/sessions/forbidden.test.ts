// The refusals a learner's shell prints, as kubectl prints them, and the sentence each gets.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { explainRefusal, RefusalExplainer } from './forbidden.ts';

const own = 'lab-1a2b3c4d5e';
const user = `User "system:serviceaccount:${own}:learner"`;

test('each refusal the platform causes is explained in words that say what is allowed', () => {
  const cases: Array<[string, RegExp]> = [
    [`Error from server (Forbidden): pods is forbidden: ${user} cannot list resource "pods" in API group "" in the namespace "kube-system"`, /only in your own namespace, lab-1a2b3c4d5e; other namespaces \(kube-system included\)/],
    [`Error from server (Forbidden): namespaces is forbidden: ${user} cannot create resource "namespaces" in API group "" at the cluster scope`, /Cluster-wide objects are shared .* not create namespaces: everything you make lives in your namespace, lab-1a2b3c4d5e/],
    [`Error from server (Forbidden): resourcequotas "learner-quota" is forbidden: ${user} cannot delete resource "resourcequotas" in API group "" in the namespace "${own}"`, /you may delete most objects, but not resourcequotas: .*`kubectl auth can-i --list`/],
    [`Error from server (Forbidden): error when creating "pod.yaml": pods "root" is forbidden: violates PodSecurity "baseline:v1.36": privileged (container "c" must not set securityContext.privileged=true)`, /enforces the "baseline" Pod Security Standard.*privileged \(container "c"/],
    [`Error from server (Forbidden): pods "x" is forbidden: exceeded quota: learner-quota, requested: pods=1, used: pods=20, limited: pods=20`, /quota \(learner-quota\).*\(pods=1\).*\(pods=20\).*`kubectl describe quota`/],
  ];
  for (const [line, explanation] of cases) assert.match(explainRefusal(line, own)?.message ?? '(none)', explanation, line);
  assert.equal(explainRefusal('Error from server (NotFound): pods "web" not found', own), undefined);
  assert.equal(explainRefusal('forbidden fruit', own), undefined);
});

test('output in pieces is read by whole lines, and each kind of refusal is explained once', () => {
  const explainer = new RefusalExplainer(own);
  const line = `Error from server (Forbidden): pods is forbidden: ${user} cannot list resource "pods" in API group "" in the namespace "kube-system"\r\n`;
  assert.deepEqual(explainer.read(line.slice(0, 70)), []);
  assert.equal(explainer.read(`${line.slice(70)}$ `).length, 1);
  assert.deepEqual(explainer.read(line.replace('kube-system', 'default')), [], 'another namespace is the same lesson');
  assert.equal(explainer.read(`Error from server (Forbidden): nodes "n" is forbidden: ${user} cannot delete resource "nodes" in API group "" at the cluster scope\n`).length, 1);
});
