"""The demo seed written once per test session and copied into the test database for each test
that asks for it (the `demo_copy` fixture of tests/conftest.py): `seed_demo` takes 6-10 s, a
copy a fraction of a second.

The first call for a (rng_seed, now) runs the real `seed.seed_demo` into the empty test
database, commits, and keeps a snapshot: every table's rows (SQLite: a backup of the file;
PostgreSQL: a copy of each table in a schema of its own), the sequences' positions and the
uploaded files the seed wrote. Later calls insert those rows into the emptied tables, set the
sequences where the seed left them and put the files back, so a test sees exactly the database
a fresh `seed_demo` with the same arguments would have left (ids included: the demo is
deterministic for a given seed and time). Tests that check the seed's own behaviour
(determinism across runs, extension points, the CLI) still run it.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from participation.core import seed
from participation.extensions import db as _db


def _files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


@dataclass
class Snapshot:
    summary: seed.SeedSummary
    where: str  # SQLite: the snapshot file; PostgreSQL: the schema holding the copies
    tables: list[str]  # the tables with rows, parents before children
    sequences: dict[str, int | None] = field(default_factory=dict)  # PostgreSQL only
    uploads: dict[str, bytes] = field(default_factory=dict)  # relative path -> content


class DemoSnapshots:
    """Per session (per xdist worker): one snapshot per (rng_seed, now) asked for."""

    SCHEMA_PREFIX = "demo_snapshot_"

    def __init__(self, app, workdir: Path) -> None:
        self.app = app
        self.workdir = workdir
        self.snapshots: dict[tuple[int, datetime | None], Snapshot] = {}
        self.postgres = app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")

    # -- the public call --------------------------------------------------------------------

    def demo(self, *, rng_seed: int = 2026, now: datetime) -> seed.SeedSummary:
        """The demo in the (empty) test database, committed, as `seed_demo(...)` leaves it."""
        _db.session.commit()  # a test's open transaction would not see the copied rows
        key = (rng_seed, now)
        snap = self.snapshots.get(key)
        if snap is None:
            before = _files(self._uploads)
            summary = seed.seed_demo(rng_seed=rng_seed, now=now)
            _db.session.commit()
            snap = self._take(len(self.snapshots), summary)
            snap.uploads = {
                str(p.relative_to(self._uploads)): p.read_bytes()
                for p in sorted(_files(self._uploads) - before)
            }
            self.snapshots[key] = snap
        else:
            self._restore(snap)
            _db.session.expire_all()
        return snap.summary

    def drop(self) -> None:
        if self.postgres:
            with _db.engine.begin() as conn:
                for snap in self.snapshots.values():
                    conn.execute(text(f'DROP SCHEMA IF EXISTS "{snap.where}" CASCADE'))

    # -- internals ------------------------------------------------------------------------------

    @property
    def _uploads(self) -> Path:
        return Path(self.app.config["UPLOAD_FOLDER"])

    def _tables_with_rows(self, conn) -> list[str]:
        names = [t.name for t in _db.metadata.sorted_tables]  # parents first
        sql = " UNION ALL ".join(
            f"SELECT '{n}' WHERE EXISTS (SELECT 1 FROM \"{n}\")" for n in names
        )
        filled = {row[0] for row in conn.execute(text(sql))}
        return [n for n in names if n in filled]

    def _take(self, index: int, summary: seed.SeedSummary) -> Snapshot:
        if not self.postgres:
            path = self.workdir / f"demo-{index}.db"
            with _db.engine.connect() as conn:
                tables = self._tables_with_rows(conn)
            src = sqlite3.connect(self._sqlite_path(), timeout=30)
            dst = sqlite3.connect(path)
            try:
                src.backup(dst)
            finally:
                dst.close()
                src.close()
            return Snapshot(summary, str(path), tables)
        schema = f"{self.SCHEMA_PREFIX}{index}"
        with _db.engine.begin() as conn:
            tables = self._tables_with_rows(conn)
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            for t in tables:
                conn.execute(text(f'CREATE TABLE "{schema}"."{t}" AS TABLE public."{t}"'))
            sequences = {
                name: last
                for name, last in conn.execute(
                    text(
                        "SELECT quote_ident(sequencename), last_value FROM pg_sequences "
                        "WHERE schemaname = 'public'"
                    )
                )
            }
        return Snapshot(summary, schema, tables, sequences)

    def _sqlite_path(self) -> str:
        return make_url(str(_db.engine.url)).database

    def _restore(self, snap: Snapshot) -> None:
        if self.postgres:
            with _db.engine.begin() as conn:
                for t in snap.tables:
                    conn.execute(
                        text(f'INSERT INTO public."{t}" SELECT * FROM "{snap.where}"."{t}"')
                    )
                for name, last in snap.sequences.items():
                    if last is None:  # never used by the seed: as RESTART IDENTITY left it
                        conn.execute(text(f"SELECT setval('public.{name}', 1, false)"))
                    else:
                        conn.execute(text(f"SELECT setval('public.{name}', {int(last)}, true)"))
        else:
            conn = sqlite3.connect(self._sqlite_path(), timeout=30, isolation_level=None)
            try:
                conn.execute("PRAGMA foreign_keys=OFF")  # a consistent copy, in one go
                conn.execute("ATTACH DATABASE ? AS snap", (snap.where,))
                conn.execute("BEGIN IMMEDIATE")
                for t in snap.tables:
                    conn.execute(f'INSERT INTO main."{t}" SELECT * FROM snap."{t}"')
                conn.execute("COMMIT")
                conn.execute("DETACH DATABASE snap")
            finally:
                conn.close()
        for rel, content in snap.uploads.items():
            path = self._uploads / rel
            if not path.is_file() or path.read_bytes() != content:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(content)


def drop_leftover_schemas(conn) -> None:
    """Snapshots of a run that was killed before it could drop them (PostgreSQL)."""
    for (schema,) in conn.execute(
        text("SELECT nspname FROM pg_namespace WHERE starts_with(nspname, :p)"),
        {"p": DemoSnapshots.SCHEMA_PREFIX},
    ).all():
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
