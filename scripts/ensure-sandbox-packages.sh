#!/bin/sh
# The Debian packages of learner terminals (server/sessions/packages.txt). Without them the
# server still runs, and terminals refuse to start with the reason.
set -eu
cd "$(dirname "$0")/.."
exec sh scripts/ensure-system-packages.sh $(grep -v '^#' server/sessions/packages.txt)
