#!/bin/sh
# The Debian packages of learner terminals: what the sandbox needs (server/sessions/packages.txt)
# and the learner's toolset (server/sessions/toolset.txt). Without them the server still runs,
# and terminals refuse to start with the reason.
set -eu
cd "$(dirname "$0")/.."
exec sh scripts/ensure-system-packages.sh $(grep -hv '^#' server/sessions/packages.txt server/sessions/toolset.txt | grep '=' | cut -d' ' -f1)
