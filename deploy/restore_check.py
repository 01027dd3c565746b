"""Backup and restore, end to end: `python deploy/restore_check.py SOURCE_DB`.

Backs SOURCE_DB up with deploy/backup.sh (pg_dump, custom format), restores the dump into a new
database with pg_restore, and compares every table's exact row count and the migration version
(and a digest of its rows) with the source; then drops the restored copy. Exits non-zero if anything differs or no table
has rows. `make prod-check` runs it on its seeded database.

PGHOST/PGPORT/PGUSER as for psql (default 127.0.0.1, 5432, postgres).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
from psycopg import sql

HERE = Path(__file__).resolve().parent
PGHOST = os.environ.get("PGHOST", "127.0.0.1")
PGPORT = os.environ.get("PGPORT", "5432")
PGUSER = os.environ.get("PGUSER", "postgres")


def conninfo(db: str) -> str:
    return f"postgresql://{PGUSER}@{PGHOST}:{PGPORT}/{db}"


def row_counts(db: str) -> dict[str, tuple[int, str]]:
    """Each table's row count and a digest of its sorted rows' text."""
    with psycopg.connect(conninfo(db)) as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
            )
        ]
        query = sql.SQL(
            "SELECT count(*), coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') "
            "FROM {} AS t"
        )
        return {t: tuple(conn.execute(query.format(sql.Identifier(t))).fetchone()) for t in tables}


def main(source: str) -> int:
    started = time.monotonic()
    target = f"{source}_restored"
    pg = ["-h", PGHOST, "-p", PGPORT, "-U", PGUSER]
    with tempfile.TemporaryDirectory() as backups:
        env = {**os.environ, "DATABASE_URL": conninfo(source), "BACKUP_DIR": backups}
        env.pop("UPLOAD_FOLDER", None)
        dump = subprocess.run(
            ["bash", str(HERE / "backup.sh")], env=env, check=True, capture_output=True, text=True
        ).stdout.strip()
        size = Path(dump).stat().st_size
        subprocess.run(["dropdb", "--if-exists", *pg, target], check=True)
        subprocess.run(["createdb", *pg, target], check=True)
        try:
            subprocess.run(
                ["pg_restore", "--no-owner", "--exit-on-error", *pg, "-d", target, dump],
                check=True,
            )
            before, after = row_counts(source), row_counts(target)
        finally:
            subprocess.run(["dropdb", "--if-exists", *pg, target], check=True)
    rows = sum(count for count, _ in before.values())
    print(f"   dump {size / 1024:.0f} kB; {len(before)} tables, {rows} rows in {source}")
    if before != after:
        for table in sorted(set(before) | set(after)):
            if before.get(table) != after.get(table):
                print(f"   DIFFERS {table}: {before.get(table)} → {after.get(table)}")
        print("FAILED: the restored database differs")
        return 1
    if rows == 0:
        print("FAILED: the source database is empty: nothing was proven")
        return 1
    print(
        f"   ok  restored into a new database: every table's row count and "
        f"content digest equal (alembic_version included) in {time.monotonic() - started:.1f} s"
    )
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__)
        sys.exit(2)
    sys.exit(main(sys.argv[1]))
