import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'node:test';
import type { V1LimitRange, V1Pod, V1ResourceQuota } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { projectRoot } from '../paths.ts';
import { limits as platformLimits } from './policy.ts';
import { refusalOf, SHELL_PRIORITY_CLASS, SHELL_RESOURCES, shellPod, shellState } from './shell-pod.ts';

const SUFFIX: Record<string, number> = { m: 1e-3, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30 };
const quantity = (text: string) => {
  const [, number = '', suffix = ''] = /^([\d.]+)(m|Ki|Mi|Gi)?$/.exec(text) ?? [];
  return Number(number) * (SUFFIX[suffix] ?? 1);
};

test('the shell pod passes Pod Security restricted and runs as the learner', () => {
  const pod = shellPod();
  const spec = pod.spec!;
  assert.equal(spec.serviceAccountName, 'learner');
  assert.equal(spec.automountServiceAccountToken, true);
  assert.equal(spec.securityContext?.runAsNonRoot, true);
  assert.ok((spec.securityContext?.runAsUser ?? 0) > 0);
  assert.equal(spec.securityContext?.seccompProfile?.type, 'RuntimeDefault');
  assert.equal(spec.hostNetwork ?? false, false);
  for (const container of spec.containers) {
    assert.equal(container.securityContext?.allowPrivilegeEscalation, false);
    assert.equal(container.securityContext?.readOnlyRootFilesystem, true);
    assert.deepEqual(container.securityContext?.capabilities, { drop: ['ALL'] });
    assert.equal(container.securityContext?.privileged ?? false, false);
  }
  // restricted allows only these volume types; every writable place has a size.
  for (const volume of spec.volumes ?? []) {
    assert.ok(volume.emptyDir?.sizeLimit, `${volume.name} is a bounded emptyDir`);
  }
  assert.deepEqual(
    spec.containers[0]?.volumeMounts?.map((mount) => mount.mountPath),
    ['/home/learner', '/tmp'],
  );
  assert.equal(pod.metadata?.labels?.['app.kubernetes.io/managed-by'], 'cnlab', 'a platform object: learners cannot change or delete it, Reset keeps it');
});

/** Every object of the labs' setup folders. */
function setupObjects(): Array<{ kind?: string; spec?: unknown }> {
  const objects = [];
  for (const lab of readdirSync(join(projectRoot, 'labs'), { withFileTypes: true }).filter((entry) => entry.isDirectory())) {
    const setup = join(projectRoot, 'labs', lab.name, 'setup');
    let files: string[] = [];
    try {
      files = readdirSync(setup);
    } catch {
      continue;
    }
    for (const file of files) objects.push(...parseAllDocuments(readFileSync(join(setup, file), 'utf8')).map((doc) => doc.toJS() as { kind?: string }));
  }
  return objects;
}

test("the shell pod's resources fit the platform's LimitRange and every lab's own", () => {
  const ranges = [platformLimits, ...setupObjects().filter((object) => object?.kind === 'LimitRange').map((object) => (object as V1LimitRange).spec?.limits ?? [])];
  assert.ok(ranges.length >= 3, 'the labs that bound containers are read');
  const { requests, limits } = SHELL_RESOURCES;
  for (const items of ranges) {
    for (const item of items.filter((candidate) => candidate.type === 'Container')) {
      for (const [resource, max] of Object.entries(item.max ?? {})) {
        assert.ok(quantity(limits[resource as keyof typeof limits]) <= quantity(max), `${resource} limit within max ${max}`);
      }
      for (const [resource, min] of Object.entries(item.min ?? {})) {
        assert.ok(quantity(requests[resource as keyof typeof requests]) >= quantity(min), `${resource} request above min ${min}`);
      }
      for (const [resource, ratio] of Object.entries(item.maxLimitRequestRatio ?? {})) {
        const key = resource as keyof typeof limits;
        assert.ok(quantity(limits[key]) / quantity(requests[key]) <= Number(ratio), `${resource} limit/request within ${ratio}`);
      }
    }
  }
});

test("a lab's own ResourceQuota leaves the shell pod out: it budgets the learner's workloads", () => {
  const quotas = setupObjects().filter((object): object is V1ResourceQuota => object?.kind === 'ResourceQuota');
  assert.ok(quotas.length >= 1);
  assert.equal(shellPod().spec?.priorityClassName, SHELL_PRIORITY_CLASS);
  for (const quota of quotas) {
    assert.ok(
      quota.spec?.scopeSelector?.matchExpressions?.some((rule) => rule.scopeName === 'PriorityClass' && rule.operator === 'NotIn' && rule.values?.includes(SHELL_PRIORITY_CLASS)),
      `ResourceQuota ${quota.metadata?.name} has a scope PriorityClass NotIn [${SHELL_PRIORITY_CLASS}]`,
    );
  }
});

test('an exceeded quota is named with the resource, what the shell needs and what is in use', () => {
  const message =
    'pods "cnlab-shell-x7k2p" is forbidden: exceeded quota: learner, requested: limits.memory=384Mi,requests.memory=192Mi, used: limits.memory=3840Mi,requests.memory=1900Mi, limited: limits.memory=4Gi,requests.memory=2Gi';
  assert.equal(
    refusalOf(message),
    "your namespace's ResourceQuota learner has no room for your shell: limits.memory (the shell needs 384Mi, 3840Mi of 4Gi is in use); requests.memory (the shell needs 192Mi, 1900Mi of 2Gi is in use). Delete something you made (or scale it down) and start the terminal again",
  );
  assert.match(refusalOf('pods "cnlab-shell-1" is forbidden: exceeded quota: team-budget, requested: pods=1, used: pods=5, limited: pods=5'), /ResourceQuota team-budget .*pods \(the shell needs 1, 5 of 5 is in use\)/);
  assert.equal(
    refusalOf('pods "cnlab-shell-1" is forbidden: maximum memory usage per Container is 256Mi, but limit is 384Mi'),
    "a LimitRange in your namespace refuses your shell's pod: maximum memory usage per Container is 256Mi, but limit is 384Mi",
  );
  assert.match(refusalOf('pods "cnlab-shell-1" is forbidden: status unknown for quota: tight, resource: limits.memory'), /ResourceQuota tight is still being counted/);
  assert.match(refusalOf('something else went wrong'), /^the cluster refused your shell's pod: something else went wrong$/);
});

const pod = (status: V1Pod['status'], metadata: V1Pod['metadata'] = {}): V1Pod => ({ metadata, status });

test("a shell pod's status reads as starting, running, the learner's exit, or lost with the reason", () => {
  assert.deepEqual(shellState(pod({ phase: 'Pending' })), { state: 'starting' });
  assert.deepEqual(shellState(pod({ phase: 'Running', containerStatuses: [{ name: 'shell', image: '', imageID: '', ready: true, restartCount: 0, state: { running: {} } }] })), { state: 'running' });
  const terminated = (reason: string, exitCode: number) => pod({ phase: 'Running', containerStatuses: [{ name: 'shell', image: '', imageID: '', ready: false, restartCount: 0, state: { terminated: { reason, exitCode } } }] });
  assert.deepEqual(shellState(terminated('Completed', 0)), { state: 'exited' });
  assert.match((shellState(terminated('OOMKilled', 137)) as { reason: string }).reason, /ran out of memory \(its limit is 384Mi\)/);
  assert.match((shellState(terminated('Error', 2)) as { reason: string }).reason, /stopped \(Error 2\)/);
  assert.match((shellState(undefined) as { reason: string }).reason, /was deleted/);
  assert.match((shellState(pod({ phase: 'Running' }, { deletionTimestamp: new Date() })) as { reason: string }).reason, /being deleted/);
  assert.match((shellState(pod({ phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: memory.' })) as { reason: string }).reason, /evicted by the node \(The node was low on resource: memory\.\)/);
  const pull = pod({ phase: 'Pending', containerStatuses: [{ name: 'shell', image: '', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "docker.io/cnlab/shell:1"' } } }] });
  assert.match((shellState(pull) as { reason: string }).reason, /cannot start: ImagePullBackOff \(Back-off pulling image/);
  const unschedulable = pod({ phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/3 nodes are available' }] });
  assert.match((shellState(unschedulable) as { reason: string }).reason, /no node can run your shell's pod: 0\/3 nodes are available/);
});
