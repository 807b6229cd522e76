#!/usr/bin/env bash
# Run a command beside a throwaway PostgreSQL server (Debian's packages) and tell the tests where it is
# through GLUTEGUARD_TEST_PG_URL. Without a server binary the command still runs: PostgreSQL tests skip.
set -euo pipefail
bin_dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$bin_dir" ] || [ ! -x "$bin_dir/initdb" ]; then
  echo "with-postgres: no PostgreSQL server installed; PostgreSQL tests will be skipped" >&2
  exec "$@"
fi
work=$(mktemp -d /tmp/gluteguard-pg.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
as_owner=()
if [ "$(id -u)" -eq 0 ]; then
  chown postgres "$work"   # PostgreSQL refuses to run as root
  as_owner=(runuser -u postgres --)
fi
"${as_owner[@]}" "$bin_dir/initdb" -D "$work/data" -A trust -U gluteguard >/dev/null
"${as_owner[@]}" "$bin_dir/pg_ctl" -D "$work/data" -l "$work/server.log" -w \
  -o "-p $port -k $work -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off" start >/dev/null
cleanup() { "${as_owner[@]}" "$bin_dir/pg_ctl" -D "$work/data" -m fast stop >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
export GLUTEGUARD_TEST_PG_URL="postgresql+psycopg://gluteguard@127.0.0.1:$port/postgres"
"$@"
