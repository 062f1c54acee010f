import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hostAllowed, hostAllowList, originAllowed } from './host-guard.ts';

const local = hostAllowList({ host: '127.0.0.1', port: 4321 });

test('the loopback names on the listening port are the only Hosts a local server answers to', () => {
  for (const host of ['localhost:4321', '127.0.0.1:4321', '[::1]:4321', 'LOCALHOST:4321']) assert.ok(hostAllowed(host, local), host);
  for (const host of [undefined, '', 'attacker.example:4321', 'attacker.example', 'localhost', 'localhost:80', '127.0.0.1:4322', 'localhost.attacker.example:4321', '127.0.0.1:4321/x', 'user@127.0.0.1:4321', '127.0.0.1:4321 ', '0.0.0.0:4321']) {
    assert.ok(!hostAllowed(host, local), String(host));
  }
});

test('a public URL adds its host; a concrete listening address adds itself; a wildcard adds nothing', () => {
  const proxied = hostAllowList({ host: '0.0.0.0', port: 4321 }, 'https://lab.example.org');
  assert.ok(hostAllowed('lab.example.org', proxied));
  assert.ok(hostAllowed('localhost:4321', proxied));
  assert.ok(!hostAllowed('0.0.0.0:4321', proxied));
  assert.ok(!hostAllowed('lab.example.org:4321', proxied));
  const lan = hostAllowList({ host: '192.168.1.5', port: 8080 });
  assert.ok(hostAllowed('192.168.1.5:8080', lan));
  assert.ok(!hostAllowed('192.168.1.6:8080', lan));
  const v6 = hostAllowList({ host: 'fd00::5', port: 8080 });
  assert.ok(hostAllowed('[fd00::5]:8080', v6));
});

test("Origins are compared with the allow-list, never with the request's own Host", () => {
  const proxied = hostAllowList({ host: '127.0.0.1', port: 4321 }, 'https://lab.example.org');
  for (const origin of ['http://localhost:4321', 'http://127.0.0.1:4321', 'http://[::1]:4321', 'https://lab.example.org']) assert.ok(originAllowed(origin, proxied), origin);
  // A rebound page's origin is its own name, which is also the Host it sends.
  for (const origin of [undefined, 'null', 'http://attacker.example:4321', 'http://lab.example.org', 'https://lab.example.org.attacker.example', 'not a url']) {
    assert.ok(!originAllowed(origin, proxied), String(origin));
  }
});
