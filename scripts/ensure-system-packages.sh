#!/bin/sh
# Installs the Debian packages cnlab needs from the system, given as program=package pairs
# (bwrap=bubblewrap; the program may also be a path the package installs). Only root can
# install them; anyone else is told what to run.
set -eu
missing=""
for pair in "$@"; do
  program=${pair%%=*}
  package=${pair#*=}
  command -v "$program" >/dev/null 2>&1 || [ -e "$program" ] || missing="$missing $package"
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
