#!/usr/bin/env bash
# Create the gluteguard role and database on this machine's PostgreSQL (Debian: apt install postgresql), run as root.
# The role logs in over the local socket as the system user of the same name (peer authentication): no password
# to keep anywhere. Then the schema: gluteguard db upgrade (the web unit also runs it before every start).
set -euo pipefail
id -u gluteguard >/dev/null 2>&1 || useradd --system --home-dir /opt/gluteguard --shell /usr/sbin/nologin gluteguard
runuser -u postgres -- psql -v ON_ERROR_STOP=1 -tc "SELECT 1 FROM pg_roles WHERE rolname = 'gluteguard'" | grep -q 1 \
  || runuser -u postgres -- createuser gluteguard
runuser -u postgres -- psql -v ON_ERROR_STOP=1 -tc "SELECT 1 FROM pg_database WHERE datname = 'gluteguard'" | grep -q 1 \
  || runuser -u postgres -- createdb --owner=gluteguard --encoding=UTF8 gluteguard
install -d -m 700 -o gluteguard -g gluteguard /etc/gluteguard /var/backups/gluteguard
echo "database ready; next: /etc/gluteguard/gluteguard.env (see gluteguard.env.example), then gluteguard db upgrade"
