// Label selectors with the whole Kubernetes syntax, matched as the API server matches them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { matchesSelector, parseSelector, SelectorError } from './selector.ts';

const matches = (selector: string, labels: Record<string, string> | undefined) => matchesSelector(labels, parseSelector(selector));

test('equality, inequality, set membership, existence and absence', () => {
  const web = { app: 'web', tier: 'frontend', 'example.com/team': 'shop' };
  assert.equal(matches('app=web', web), true);
  assert.equal(matches('app==web,tier=frontend', web), true);
  assert.equal(matches('app!=web', web), false);
  assert.equal(matches('tier!=db', { app: 'web' }), true, '!= matches an object without the label');
  assert.equal(matches('app in (api, web)', web), true);
  assert.equal(matches('app in (api,db)', web), false);
  assert.equal(matches('app notin (api,db)', web), true);
  assert.equal(matches('env notin (prod)', web), true, 'notin matches an object without the label');
  assert.equal(matches('tier', web), true);
  assert.equal(matches('!tier', web), false);
  assert.equal(matches('!legacy', web), true);
  assert.equal(matches('example.com/team=shop, app in (web)', web), true);
  assert.equal(matches('', web), true, 'the empty selector selects everything');
  assert.equal(matches('app', undefined), false);
});

test('a set-based selector is not mistaken for equality', () => {
  // The old parser split on "=" and read `app in (a,b)` as a label named "app in (a".
  assert.equal(matches('app in (a,b)', { app: 'a' }), true);
  assert.equal(matches('app in (a,b)', { app: 'c' }), false);
});

test('malformed selectors are refused at the spot that is wrong', () => {
  const refused = (selector: string, message: RegExp, offset: number) => {
    assert.throws(() => parseSelector(selector), (error: unknown) => error instanceof SelectorError && message.test(error.message) && error.offset === offset, selector);
  };
  refused('app in a,b', /takes a list in parentheses/, 7);
  refused('app in (a,b', /never closed/, 11);
  refused('app in ()', /at least one value/, 8);
  refused('app=web,', /ends with ","/, 7);
  refused('app=web tier=db', /cannot follow a requirement/, 8);
  refused('app=we b', /cannot follow a requirement/, 7);
  refused('-app=web', /is not a label key/, 0);
  refused('app=-web', /is not a label value/, 4);
  refused('app > 3', /cannot follow the key app/, 4);
  refused('!', /a label key after "!" is missing/, 1);
});
