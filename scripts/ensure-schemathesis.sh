#!/bin/sh
# Installs schemathesis, the API fuzzer of server/http/fuzz.test.ts, from PyPI into a Python
# virtual environment of its own in cnlab's cache folder (one folder per version, made once, then
# reused), and prints the path of its `st` program. The venv module is Debian's python3-venv.
set -eu
cd "$(dirname "$0")/.."
version=4.32.5
cache=${CNLAB_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/cnlab}
venv=$cache/venv-schemathesis-$version
# A venv cannot be moved once made, so an install counts only once its marker is written: one
# that was interrupted is made again.
if [ ! -f "$venv/installed" ]; then
  sh scripts/ensure-system-packages.sh python3=python3 '/usr/lib/python3*/ensurepip=python3-venv' >&2
  echo "cnlab: installing schemathesis $version into $venv" >&2
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$version" >&2
  touch "$venv/installed"
fi
echo "$venv/bin/st"
