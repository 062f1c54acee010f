#!/bin/sh
# Installs the Debian packages cnlab needs from the system, given as program=package pairs
# (bwrap=bubblewrap; the program may also be a path the package installs, with * for a part that
# varies between releases). Only root can install them; anyone else is told what to run.
set -eu
present() {
  command -v "$1" >/dev/null 2>&1 && return 0
  # Unquoted on purpose: a * in the path matches what the release installs.
  for path in $1; do [ -e "$path" ] && return 0; done
  return 1
}
missing=""
for pair in "$@"; do
  program=${pair%%=*}
  package=${pair#*=}
  present "$program" || missing="$missing $package"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "cnlab: installing Debian packages:$missing" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
else
  echo "error: cnlab needs these packages:$missing" >&2
  echo "  what to do: sudo apt-get install$missing" >&2
  exit 1
fi
