#!/bin/sh
# The Debian packages of the local cluster's real node (server/cluster/local/node/packages.txt).
# Without them the local provider still runs, with simulated nodes only, and says why.
set -eu
cd "$(dirname "$0")/.."
exec sh scripts/ensure-system-packages.sh $(grep -v '^#' server/cluster/local/node/packages.txt)
