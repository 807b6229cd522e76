#!/usr/bin/env bash
# Dump the gluteguard database into $GLUTEGUARD_BACKUP_DIR (pg_dump's custom format: compressed, restorable table by
# table with pg_restore) and keep the newest $GLUTEGUARD_BACKUP_KEEP dumps. The database is $GLUTEGUARD_DB, the URL
# gluteguard itself uses (the "+psycopg" driver part, which pg_dump does not know, is dropped).
set -euo pipefail
: "${GLUTEGUARD_DB:?set GLUTEGUARD_DB to the database URL}"
dir=${GLUTEGUARD_BACKUP_DIR:-/var/backups/gluteguard}
keep=${GLUTEGUARD_BACKUP_KEEP:-14}
url=${GLUTEGUARD_DB/postgresql+psycopg:/postgresql:}
mkdir -p "$dir"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
partial="$dir/.gluteguard-$stamp.dump.partial"
pg_dump --format=custom --no-owner --file="$partial" "$url"
mv "$partial" "$dir/gluteguard-$stamp.dump"   # a dump that stopped half-way never looks like a backup
ls -1t "$dir"/gluteguard-*.dump | tail -n +"$((keep + 1))" | xargs -r rm --
echo "backup written: $dir/gluteguard-$stamp.dump"
