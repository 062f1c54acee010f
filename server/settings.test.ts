import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { CnlabError } from './errors.ts';
import { projectRoot } from './paths.ts';
import { readSettings, replaceSettingsTable, setting, settingsSchema } from './settings.ts';

test("the README's settings table is the one the schema makes", () => {
  const readme = readFileSync(join(projectRoot, 'README.md'), 'utf8');
  assert.equal(replaceSettingsTable(readme), readme, 'run `node scripts/settings-table.ts` and commit README.md');
});

test('with nothing set, every setting has its default', () => {
  const settings = readSettings({});
  assert.equal(settings.HOST, '127.0.0.1');
  assert.equal(settings.PORT, 4321);
  assert.equal(settings.CNLAB_PROVIDER, 'auto');
  assert.equal(settings.CNLAB_SESSION_IDLE_SECONDS, 900);
  assert.equal(settings.CNLAB_MAX_SESSIONS, 200);
  assert.equal(settings.CNLAB_API_PORT, undefined);
  assert.deepEqual(readSettings({ PORT: '', CNLAB_API_PORT: '' }), settings, 'an empty value counts as unset');
});

test('a bad value is an error that names the variable and what it takes', () => {
  for (const [name, value] of [['PORT', '70000'], ['CNLAB_API_PORT', 'x'], ['CNLAB_SESSION_TTL_SECONDS', '-5'], ['CNLAB_MAX_SESSIONS', '20000'], ['LOG_LEVEL', 'loud'], ['CNLAB_DATABASE_URL', 'mysql://db']] as const) {
    assert.throws(() => readSettings({ [name]: value }), (error: unknown) => {
      assert.ok(error instanceof CnlabError);
      assert.match(error.message, new RegExp(`^${name}="${value.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}" is not valid: `));
      assert.match(error.hint ?? '', new RegExp(`fix or unset it \\(${name}: `));
      return true;
    });
  }
  assert.equal(setting('CNLAB_SESSION_SWEEP_SECONDS', { CNLAB_SESSION_SWEEP_SECONDS: '1' }), 1);
});

test('no module but server/settings.ts reads a setting from the environment', () => {
  const files = (dir: string): string[] =>
    readdirSync(join(projectRoot, dir), { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? files(`${dir}/${entry.name}`) : entry.name.endsWith('.ts') ? [`${dir}/${entry.name}`] : []));
  const readers = files('server')
    .filter((file) => file !== 'server/settings.ts' && !file.endsWith('.test.ts') && !file.startsWith('server/testing/'))
    .flatMap((file) => [...readFileSync(join(projectRoot, file), 'utf8').matchAll(/process\.env(?:\.([A-Z_]+)|\[)/g)].map((match) => `${file}: process.env${match[1] ? `.${match[1]}` : '[…]'}`));
  assert.deepEqual(readers, []);
  assert.ok(Object.keys(settingsSchema).every((name) => /^(CNLAB_[A-Z_]+|HOST|PORT|LOG_LEVEL|XDG_(CACHE|STATE)_HOME|KUBECONFIG|KUBERNETES_SERVICE_HOST)$/.test(name)));
});
