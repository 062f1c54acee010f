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
  # A freshly booted machine often runs unattended upgrades. apt-get install waits for the dpkg
  # lock itself (DPkg::Lock::Timeout); apt-get update does not wait for the package lists' lock,
  # so it is tried again until that lock is free. Both wait up to 10 minutes, saying so.
  lock="-o DPkg::Lock::Timeout=600"
  waited=0
  until out=$(apt-get $lock update -qq 2>&1); do
    case $out in
      *"Could not get lock"* | *"Unable to lock"*) ;;
      *) echo "$out" >&2; exit 1 ;;
    esac
    if [ "$waited" -ge 600 ]; then echo "$out" >&2; exit 1; fi
    [ "$waited" = 0 ] && echo "cnlab: another process is using the package lists (unattended upgrades?); waiting for it, up to 10 minutes" >&2
    sleep 5
    waited=$((waited + 5))
  done
  DEBIAN_FRONTEND=noninteractive apt-get $lock install -y -qq $missing >/dev/null
else
  echo "error: cnlab needs these packages:$missing" >&2
  echo "  what to do: sudo apt-get install$missing" >&2
  exit 1
fi
