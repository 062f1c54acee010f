// The catalogue as data: the real file is valid, and a malformed one stops the build at its line.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { YamlFileError } from '../../yaml-file.ts';
import { catalogueFile, loadCatalogue, parseCatalogue } from './catalogue.ts';
import { upstreamVersion } from './debian.ts';
import { mirrorHosts, registryConfig } from './registry.ts';

const text = await readFile(catalogueFile, 'utf8');

/** Parses the real catalogue with one edit, expecting it to fail; returns the error. */
function failure(from: string, to: string): YamlFileError {
  assert.ok(text.includes(from), `the catalogue no longer contains ${JSON.stringify(from)}`);
  try {
    parseCatalogue(catalogueFile, text.replace(from, to));
  } catch (error) {
    assert.ok(error instanceof YamlFileError, String(error));
    return error;
  }
  assert.fail(`replacing ${JSON.stringify(from)} was accepted`);
}

const lineOf = (needle: string, occurrence = 0) => {
  const lines = text.split('\n');
  const matches = lines.flatMap((line, index) => (line.includes(needle) ? [index + 1] : []));
  const line = matches[occurrence];
  assert.ok(line, `no line contains ${needle}`);
  return line;
};

test('the catalogue parses, and every reference is unique and carries its upstream host', async () => {
  const { images } = await loadCatalogue();
  const references = images.flatMap((image) => image.references);
  assert.equal(new Set(references).size, references.length);
  for (const reference of references) assert.match(reference, /^(docker\.io|registry\.k8s\.io)\//);
  assert.ok(references.includes('registry.k8s.io/pause:3.10.1'));
  assert.ok(references.includes('docker.io/library/nginx:1.26.3'));
  const nginx = images.find((image) => image.references.includes('docker.io/library/nginx:latest'));
  assert.equal(nginx?.version, '1.26.3');
  assert.deepEqual(nginx?.config.Env, ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'NGINX_VERSION=1.26.3']);
  assert.ok(nginx?.checks.some((check) => check.expect.includes('nginx/1.26.3')), '{{version}} is filled in the checks');
});

test('an unquoted mode names its file and line', () => {
  const error = failure("{ path: /tmp, dir: true, mode: '1777' }", '{ path: /tmp, dir: true, mode: 1777 }');
  assert.equal(error.file, catalogueFile);
  assert.equal(error.line, lineOf("{ path: /tmp, dir: true, mode: '1777' }"));
  assert.match(error.message, /catalogue\.yaml:\d+:\d+: baseImage\.files\[0\]\.mode: /);
});

test('a tag given twice is refused at the second one', () => {
  const error = failure("tags: ['1.26', 1.26.3, latest, stable]", "tags: ['1.26', 1.26.3, latest, stable, '1.22']");
  assert.equal(error.line, lineOf("tags: ['1.26', 1.26.3, latest, stable]"));
  assert.match(error.message, /docker\.io\/library\/nginx:1\.22 is already the tag of version 1\.22\.1/);
});

test('an unknown suite, an unknown field and a missing source are each located', () => {
  const suite = failure('{ version: 1.35.0, suite: bookworm,', '{ version: 1.35.0, suite: buster,');
  assert.equal(suite.line, lineOf('{ version: 1.35.0, suite: bookworm,'));
  assert.match(suite.message, /suite "buster" is not one of suites: bookworm, trixie/);

  const field = failure('    busybox: true\n    config:\n      Env: [PATH', '    busybox: true\n    colour: blue\n    config:\n      Env: [PATH');
  assert.match(field.message, /images\[1\]: Unrecognized key: "colour"/);

  const source = failure("  - repository: docker.io/library/busybox\n    debian: { packages: [busybox-static], versionOf: busybox-static }\n", '  - repository: docker.io/library/busybox\n');
  assert.equal(source.line, lineOf('  - repository: docker.io/library/busybox'));
  assert.match(source.message, /give the files a source: debian, compile or binary/);
});

test('a repository without its registry host is refused', () => {
  const error = failure('  - repository: docker.io/library/busybox', '  - repository: busybox');
  assert.equal(error.line, lineOf('  - repository: docker.io/library/busybox'));
  assert.match(error.message, /write the repository with its registry host/);
});

test("Debian versions give the upstream version the tags must match", () => {
  assert.equal(upstreamVersion('5:8.0.2-3+deb13u3'), '8.0.2');
  assert.equal(upstreamVersion('1:1.37.0-6+b9'), '1.37.0');
  assert.equal(upstreamVersion('1.26.3-3+deb13u11'), '1.26.3');
  assert.equal(upstreamVersion('2.4.71-1~deb13u1'), '2.4.71');
  assert.equal(upstreamVersion('2.8.2+ds1-1'), '2.8.2');
});

test('the read-only registry config and the containerd mirror files name the address', () => {
  const config = registryConfig('/cache/images/x/registry', '127.0.0.1:5000');
  assert.match(config, /readonly:\n\s+enabled: true/);
  assert.match(config, /rootdirectory: "\/cache\/images\/x\/registry"/);
  assert.match(config, /addr: "127\.0\.0\.1:5000"/);
  assert.doesNotMatch(config, /auth:/);
  const hosts = mirrorHosts('127.0.0.1:5000');
  assert.deepEqual(Object.keys(hosts).sort(), ['docker.io', 'registry.k8s.io']);
  assert.match(hosts['registry.k8s.io'] ?? '', /^server = "http:\/\/127\.0\.0\.1:5000\/v2\/registry\.k8s\.io"\noverride_path = true\n/m);
});
