// The path grammar: what it reads, and where it says a malformed path goes wrong.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePath, PathError, valueAt } from './path.ts';

const pod = (containers: Array<{ name: string; image: string }>) => ({
  metadata: { annotations: { 'example.com/owner': 'team-web' } },
  spec: {
    containers,
    volumes: [
      { name: 'cache', emptyDir: {} },
      { name: 'config', configMap: { name: 'app-config' } },
    ],
  },
});

test('keys, indexes and quoted keys', () => {
  const object = pod([{ name: 'app', image: 'nginx:1.26' }]);
  assert.equal(valueAt(object, 'spec.containers[0].image'), 'nginx:1.26');
  assert.equal(valueAt(object, 'metadata.annotations["example.com/owner"]'), 'team-web');
  assert.equal(valueAt(object, 'spec.containers[3].image'), undefined);
  assert.equal(valueAt(object, 'spec.nothing.deeper'), undefined);
});

test('[name=...] finds the item by key, in either order of the list', () => {
  for (const containers of [
    [{ name: 'app', image: 'nginx:1.26' }, { name: 'log-shipper', image: 'busybox:1.37' }],
    [{ name: 'log-shipper', image: 'busybox:1.37' }, { name: 'app', image: 'nginx:1.26' }],
  ]) {
    const object = pod(containers);
    assert.equal(valueAt(object, 'spec.containers[name=app].image'), 'nginx:1.26');
    assert.equal(valueAt(object, 'spec.containers[name=log-shipper].image'), 'busybox:1.37');
  }
  const object = pod([]);
  assert.equal(valueAt(object, 'spec.volumes[name=config].configMap.name'), 'app-config');
  assert.equal(valueAt(object, 'spec.volumes[configMap.name=app-config].name'), 'config', 'a nested key');
  assert.equal(valueAt(object, 'spec.volumes[name="config"].configMap.name'), 'app-config', 'a quoted value');
  assert.equal(valueAt(object, 'spec.volumes[name=missing].configMap'), undefined);
  assert.equal(valueAt({ ports: [{ port: 80, name: 'http' }] }, 'ports[port=80].name'), 'http', 'a number matches its digits');
  assert.equal(valueAt({ rules: [{ host: 'shop.example.com', paths: [{ path: '/api' }] }] }, 'rules[host=shop.example.com].paths[path=/api].path'), '/api', 'values with dots and slashes');
});

test('malformed paths are refused with the spot that is wrong', () => {
  const refused = (path: string, message: RegExp, offset: number) => {
    assert.throws(() => parsePath(path), (error: unknown) => error instanceof PathError && message.test(error.message) && error.offset === offset, path);
  };
  refused('spec..replicas', /two dots in a row/, 5);
  refused('spec.containers[*].image', /\[\*\] selects no single item: .* anyItem or everyItem/, 16);
  refused('spec.containers[].image', /anyItem or everyItem/, 16);
  refused('spec.containers[0.image', /never closed/, 15);
  refused('spec.containers[name].image', /\[name\] is not a path step/, 16);
  refused('spec.containers[name==app]', /a single "="/, 20);
  refused('spec.containers[name=]', /needs a value/, 21);
  refused('.spec', /cannot start the path/, 0);
  refused('spec.', /a name after "\." is missing/, 5);
  refused('spec.containers[0]image', /cannot follow/, 18);
  refused(' spec', /spaces/, 0);
});
