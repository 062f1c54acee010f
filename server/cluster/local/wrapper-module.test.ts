import assert from 'node:assert/strict';
import { test } from 'node:test';
import { kubernetesWrapperGoMod } from './wrapper-module.ts';

const upstream = `module k8s.io/kubernetes

go 1.26.0

godebug default=go1.26

require (
	k8s.io/api v0.0.0
	github.com/spf13/cobra v1.10.2
)

replace (
	k8s.io/api => ./staging/src/k8s.io/api
	k8s.io/client-go => ./staging/src/k8s.io/client-go
	github.com/example/fork => github.com/example/fork v1.2.3
)
`;

test('replaces every staging module with its published v0 release and keeps go and godebug', () => {
  const goMod = kubernetesWrapperGoMod(upstream, 'v1.36.3');
  assert.match(goMod, /^require k8s\.io\/kubernetes v1\.36\.3$/m);
  assert.match(goMod, /^\tk8s\.io\/api => k8s\.io\/api v0\.36\.3$/m);
  assert.match(goMod, /^\tk8s\.io\/client-go => k8s\.io\/client-go v0\.36\.3$/m);
  assert.match(goMod, /^go 1\.26\.0$/m);
  assert.match(goMod, /^godebug default=go1\.26$/m);
  assert.doesNotMatch(goMod, /example\/fork/);
});

test('refuses a go.mod without staging modules instead of building the wrong thing', () => {
  assert.throws(() => kubernetesWrapperGoMod('module k8s.io/kubernetes\n\ngo 1.26.0\n', 'v1.36.3'), /no staging modules/);
});
