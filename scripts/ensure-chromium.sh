#!/bin/sh
# The end-to-end tests drive Debian's Chromium: browser builds cannot be downloaded here.
set -eu
[ -x /usr/bin/chromium ] && exit 0
if [ "$(id -u)" = 0 ]; then
  echo "cnlab: installing Chromium from Debian's packages" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
else
  echo "error: the end-to-end tests need Chromium at /usr/bin/chromium" >&2
  echo "  what to do: sudo apt-get install chromium" >&2
  exit 1
fi
