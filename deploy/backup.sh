#!/usr/bin/env bash
# Nightly backup: the database (pg_dump custom format, restorable with pg_restore) and the
# upload directory, into BACKUP_DIR with the date in the names; keeps KEEP_DAYS days.
#   DATABASE_URL=postgresql://gongjian@db/gongjian UPLOAD_FOLDER=/srv/gongjian/uploads \
#   BACKUP_DIR=/srv/backups/gongjian deploy/backup.sh
# Restore: createdb NEW && pg_restore --no-owner -d NEW FILE.dump (deploy/restore_check.py
# does exactly that and compares every table's row count; run it after changing this script).
set -euo pipefail
: "${DATABASE_URL:?set DATABASE_URL}"
BACKUP_DIR=${BACKUP_DIR:-./backups}
KEEP_DAYS=${KEEP_DAYS:-14}
stamp=$(date -u +%Y%m%dT%H%M%SZ)
url=${DATABASE_URL/postgresql+psycopg:/postgresql:}  # pg_dump does not know SQLAlchemy's driver suffix
mkdir -p "$BACKUP_DIR"
dump="$BACKUP_DIR/gongjian-$stamp.dump"
pg_dump --format=custom --no-owner --file="$dump.part" "$url"
mv "$dump.part" "$dump"   # a half-written dump never looks like a backup
if [ -n "${UPLOAD_FOLDER:-}" ] && [ -d "$UPLOAD_FOLDER" ]; then
  tar -C "$UPLOAD_FOLDER" -czf "$BACKUP_DIR/uploads-$stamp.tar.gz.part" .
  mv "$BACKUP_DIR/uploads-$stamp.tar.gz.part" "$BACKUP_DIR/uploads-$stamp.tar.gz"
fi
find "$BACKUP_DIR" -maxdepth 1 \( -name 'gongjian-*.dump' -o -name 'uploads-*.tar.gz' \) -mtime +"$KEEP_DAYS" -delete
echo "$dump"
