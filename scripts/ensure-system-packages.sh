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
  # A freshly booted machine often runs unattended upgrades: wait for their dpkg and package
  # list locks (up to 10 minutes, saying so) rather than fail at once.
  if command -v fuser >/dev/null 2>&1 && fuser /var/lib/dpkg/lock-frontend /var/lib/apt/lists/lock >/dev/null 2>&1; then
    echo "cnlab: another process is installing packages (it holds the dpkg lock); waiting for it, up to 10 minutes" >&2
  fi
  lock="-o DPkg::Lock::Timeout=600"
  apt-get $lock update -qq
  DEBIAN_FRONTEND=noninteractive apt-get $lock install -y -qq $missing >/dev/null
else
  echo "error: cnlab needs these packages:$missing" >&2
  echo "  what to do: sudo apt-get install$missing" >&2
  exit 1
fi
