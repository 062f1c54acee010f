#!/bin/sh
# Installs the npm packages, among them the Node.js the project runs on, when they are missing
# or older than package-lock.json: the machine's own Node only has to be able to run npm.
set -eu
cd "$(dirname "$0")/.."
if [ ! -x node_modules/.bin/node ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "cnlab: installing npm packages (npm ci)" >&2
  npm ci --no-audit --no-fund --loglevel=error
fi
