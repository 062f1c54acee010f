#!/bin/sh
# The whole test suite: types, unit and integration tests against a real local cluster, then
# end-to-end tests in Chromium. Run through `npm test`, so node_modules/.bin (Node 24) is on PATH.
set -eu
cd "$(dirname "$0")/.."
# The browser for the end-to-end tests, the terminal sandbox's tools, PostgreSQL for the store
# tests (which start a throwaway server of their own), and the real node's runtime and build
# tools (the tests run on a real node: without them they fail rather than fall back).
sh scripts/ensure-system-packages.sh /usr/bin/chromium=chromium /usr/lib/postgresql=postgresql
sh scripts/ensure-sandbox-packages.sh
sh scripts/ensure-node-packages.sh
mkdir -p test-results

echo "== Kubernetes toolchain, the real node's runtime and the image catalogue (built from source once, then cached)"
node server/cli.ts cluster build

echo "== course site"
astro build >test-results/astro-build.log 2>&1 || { cat test-results/astro-build.log; exit 1; }

# After the build: it generates the types of astro:content (.astro/) that the checker reads.
echo "== type check"
tsc --noEmit

echo "== unit and integration tests"
node --test --test-concurrency=1 \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination=test-results/node.tap \
  'server/**/*.test.ts' 'deploy/**/*.test.ts' || node_failed=1

echo "== labs: each fails untouched and passes once solution.sh runs in a learner's shell"
labs_env="CNLAB_STATE_DIR=$(mktemp -d) CNLAB_CLUSTER_NAME=cnlab-labs CNLAB_PROVIDER=local LOG_LEVEL=warn"
env $labs_env node server/cli.ts labs test || labs_failed=1
env $labs_env node server/cli.ts cluster down >/dev/null

echo "== end-to-end tests"
playwright test || e2e_failed=1

node scripts/test-summary.ts test-results/node.tap test-results/e2e.json
[ -z "${node_failed:-}" ] && [ -z "${labs_failed:-}" ] && [ -z "${e2e_failed:-}" ]
