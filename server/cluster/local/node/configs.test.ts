// The node's configuration as text: what a mistake here would silently change on a real node.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parse } from 'yaml';
import { cniConfig, containerdConfig, hostGuard, kubeletConfig, nodeGuard, nodePaths } from './configs.ts';
import { CLOSED_RANGES, nameServers, type PodEgress } from './egress.ts';
import { linkAddresses, planNode, POD_CIDR, SERVICE_CIDR } from './plan.ts';

const plan = planNode('cnlab-unit', 3);
const paths = nodePaths(plan.dir);

test('each slot is its own /30: host and node addresses never repeat across slots', () => {
  const seen = new Set<string>();
  for (let slot = 0; slot < 2000; slot += 1) {
    const { hostIp, nodeIp } = linkAddresses(slot);
    for (const address of [hostIp, nodeIp]) {
      assert.ok(!seen.has(address), `${address} reused at slot ${slot}`);
      seen.add(address);
      assert.match(address, /^172\.30\.\d{1,3}\.\d{1,3}$/);
    }
  }
  assert.throws(() => linkAddresses(16384));
});

test('the interface name fits Linux limits and differs between state folders', () => {
  assert.ok(plan.hostInterface.length <= 15, plan.hostInterface);
  process.env.CNLAB_STATE_DIR = '/tmp/another-state';
  try {
    assert.notEqual(planNode('cnlab-unit', 3).id, plan.id);
  } finally {
    delete process.env.CNLAB_STATE_DIR;
  }
});

test('pod and Service ranges do not overlap kwok simulated pod addresses (10.0.0.0/16)', () => {
  assert.ok(!SERVICE_CIDR.startsWith('10.0.'));
  assert.ok(!POD_CIDR.startsWith('10.0.'));
});

test('containerd keeps every path under the node folder and never lowers oom_score_adj', () => {
  const toml = containerdConfig(paths, '/opt/runc');
  for (const line of toml.split('\n').filter((row) => row.includes('"/'))) {
    const value = line.split('"')[1] as string;
    if (value === '/usr/lib/cni') continue;
    assert.ok(value.startsWith(plan.dir) || value === '/opt/runc', `path outside the node folder: ${line.trim()}`);
  }
  assert.match(toml, /restrict_oom_score_adj = true/);
  assert.match(toml, /netns_mounts_under = ".*\/run\/netns"/);
});

test("a resolv.conf's IPv4 name servers, without loopback stubs", () => {
  assert.deepEqual(nameServers('# comment\nnameserver 127.0.0.53\nnameserver 10.0.0.2\n nameserver 1.1.1.1 \nnameserver ::1\nsearch example.org\n'), ['10.0.0.2', '1.1.1.1']);
});

test('the bridge plugin does not masquerade: the node guard decides what leaves the node', () => {
  const cni = JSON.parse(cniConfig(plan)) as { plugins: { type: string; ipMasq?: boolean }[] };
  assert.equal(cni.plugins.find((plugin) => plugin.type === 'bridge')?.ipMasq, false);
});

test('the kubelet refuses anonymous calls and listens on the node address only', () => {
  const kubelet = parse(kubeletConfig(plan, paths, '/ca.crt')) as Record<string, any>;
  assert.equal(kubelet.authentication.anonymous.enabled, false);
  assert.equal(kubelet.authorization.mode, 'Webhook');
  assert.equal(kubelet.readOnlyPort, 0);
  assert.equal(kubelet.address, plan.nodeIp);
  assert.equal(kubelet.podLogsDir.startsWith(plan.dir), true);
});

const none: PodEgress = { mode: 'none' };
const internet: PodEgress = { mode: 'internet', resolvers: ['10.255.255.53'] };

test('the guards: pods reach only the API port of the node, the host link carries only answers', () => {
  const guard = nodeGuard(plan, 40123, none);
  assert.match(guard, new RegExp(`iifname "${plan.bridge}" ip daddr ${plan.nodeIp.replaceAll('.', '\\.')} tcp dport 40123 accept`));
  assert.match(guard, new RegExp(`iifname "${plan.bridge}" drop`));
  assert.doesNotMatch(guard, /masquerade|oifname "eth0"/);
  const host = hostGuard(plan, none);
  assert.match(host, new RegExp(`iifname "${plan.hostInterface}" ct state established,related accept`));
  assert.match(host, new RegExp(`iifname "${plan.hostInterface}" drop`));
  assert.doesNotMatch(host, /masquerade/);
  assert.doesNotMatch(host.slice(host.indexOf('chain forward')), / accept\n/, 'the host forwards nothing for the node');
});

test('each guard replaces its own table in one transaction, so reloading it never leaves a gap', () => {
  for (const text of [nodeGuard(plan, 40123, internet), hostGuard(plan, internet)]) {
    const name = /^table inet (\S+)\n/.exec(text)?.[1];
    assert.ok(name, text);
    assert.ok(text.startsWith(`table inet ${name}\ndelete table inet ${name}\ntable inet ${name} {\n`), text);
  }
});

test('with internet egress, the host opens public addresses and its name servers, never private or link-local ones', () => {
  const host = hostGuard(plan, internet);
  const forward = host.slice(host.indexOf('chain forward'), host.indexOf('chain postrouting'));
  assert.match(forward, new RegExp(`ip daddr \\{ 10\\.255\\.255\\.53 \\} meta l4proto \\{ tcp, udp \\} th dport 53 accept`));
  for (const range of CLOSED_RANGES) assert.ok(forward.includes(range), `${range} is not closed`);
  assert.match(forward, /ip daddr != \{[^}]*169\.254\.0\.0\/16[^}]*\} accept/);
  // What is not opened is dropped: the drop rules stay last.
  assert.match(forward, new RegExp(`iifname "${plan.hostInterface}" drop\n    oifname "${plan.hostInterface}" drop\n  }`));
  assert.match(host, new RegExp(`ip saddr ${plan.nodeIp.replaceAll('.', '\\.')} oifname != "${plan.hostInterface}" masquerade`));
  const node = nodeGuard(plan, 40123, internet);
  assert.match(node, new RegExp(`oifname "eth0" ip saddr ${plan.podCidr.replaceAll('.', '\\.').replace('/', '\\/')} masquerade`));
});
