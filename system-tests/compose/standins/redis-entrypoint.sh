#!/bin/sh
# Stand-in for the official redis image's entrypoint, on Debian's redis-server: runs the
# command as the redis user in /data, with protected mode off as the official build has it
# (the compose network, not a bind address, is what keeps Redis private).
set -eu
if [ "$(id -u)" = 0 ]; then
  chown -R redis:redis /data
  exec setpriv --reuid=redis --regid=redis --init-groups "$0" "$@"
fi
if [ "${1:-}" = redis-server ]; then shift; exec redis-server --protected-mode no "$@"; fi
exec "$@"
