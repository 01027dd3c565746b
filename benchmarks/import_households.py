"""Household register import at the scale of a large community: 2,000 units.

Generates the sheet as CSV and XLSX, then times parsing, the dry run and the apply (first import,
re-import of the same sheet, an edited sheet) on SQLite and, when TEST_DATABASE_URL is set, on
PostgreSQL. A bare baseline in the same run (one executemany INSERT of 2,000 rows, committed)
turns the times into ratios that travel between machines.

    .venv/bin/python benchmarks/import_households.py [--units 2000] [--repeat 3]

On PostgreSQL it creates the tables if missing and works in a community of its own, deleted at
the end; point TEST_DATABASE_URL at a database no test run is using at the same time.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import secrets
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_babel import force_locale  # noqa: E402
from openpyxl import Workbook  # noqa: E402
from sqlalchemy import (  # noqa: E402
    Column,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    delete,
    insert,
    select,
)

from participation import create_app  # noqa: E402
from participation.config import TestConfig  # noqa: E402
from participation.core import register_import as ri  # noqa: E402
from participation.core.models import (  # noqa: E402
    AuditEntry,
    Building,
    Community,
    Entrance,
    Owner,
    Project,
    ProjectStep,
    Unit,
)
from participation.core.services import register as register_service  # noqa: E402
from participation.extensions import db  # noqa: E402

HEADERS = ["楼栋", "单元", "房号", "面积", "业主编号", "业主姓名", "联系电话"]


def sheet_rows(units: int) -> list[list[Any]]:
    """Buildings of 4 entrances × 10 floors × 5 rooms; every 50th unit shares the owner of the one
    before it; the last 20 units are the developer's."""
    rows: list[list[Any]] = []
    n = 0
    for building in range(1, units // 200 + 2):
        for entrance in range(1, 5):
            for floor in range(1, 11):
                for room in range(1, 6):
                    if n >= units:
                        return rows
                    n += 1
                    row = [building, entrance, floor * 100 + room, 60 + (n % 40) * 1.25]
                    if n > units - 20:
                        row += ["开发商", "", None]
                    elif n % 50 == 0:
                        rows[-1][4] = rows[-1][4] or f"K{n - 1}"
                        row += rows[-1][4:7]
                    else:
                        row += ["", f"业主{n}", 13800000000 + n]
                    rows.append(row)
    return rows


def as_csv(rows: list[list[Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADERS)
    writer.writerows([["" if c is None else c for c in r] for r in rows])
    return out.getvalue().encode("gb18030")  # as Excel on Chinese Windows saves it


def as_xlsx(rows: list[list[Any]]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("户籍")
    sheet.append(HEADERS)
    for r in rows:
        sheet.append(r)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def best_of(repeat: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def baseline(units: int) -> float:
    """One executemany INSERT of `units` rows into a scratch table, committed."""
    table = Table(
        f"bench_baseline_{secrets.token_hex(4)}",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("room", String(20)),
        Column("area", Numeric(10, 2)),
    )
    table.create(db.engine)
    try:
        rows = [{"room": str(i), "area": 80} for i in range(units)]
        start = time.perf_counter()
        with db.engine.begin() as conn:
            conn.execute(insert(table), rows)
        return time.perf_counter() - start
    finally:
        table.drop(db.engine)


def cleanup(community_id: int) -> None:
    entrance_ids = select(Entrance.id).join(Building).where(Building.community_id == community_id)
    project_ids = select(Project.id).where(Project.community_id == community_id)
    with db.engine.begin() as conn:
        conn.execute(delete(Unit.__table__).where(Unit.community_id == community_id))
        conn.execute(delete(Owner.__table__).where(Owner.community_id == community_id))
        conn.execute(delete(Entrance.__table__).where(Entrance.id.in_(entrance_ids)))
        conn.execute(delete(Building.__table__).where(Building.community_id == community_id))
        # Core, not the ORM: the audit log refuses ORM deletes, and this is benchmark data.
        conn.execute(delete(AuditEntry.__table__).where(AuditEntry.community_id == community_id))
        conn.execute(delete(ProjectStep.__table__).where(ProjectStep.project_id.in_(project_ids)))
        conn.execute(delete(Project.__table__).where(Project.community_id == community_id))
        conn.execute(delete(Community.__table__).where(Community.id == community_id))


def run(label: str, url: str, units: int, repeat: int, data: dict[str, bytes]) -> None:
    config = type("BenchConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": url})
    app = create_app(config)
    with app.app_context(), force_locale("en"):
        db.create_all()
        base = min(baseline(units) for _ in range(repeat))
        times: dict[str, float] = {}
        times["parse CSV (GB18030)"], _ = best_of(
            repeat, lambda: ri.parse_file(data["csv"], "r.csv")
        )
        times["parse XLSX"], sheet = best_of(repeat, lambda: ri.parse_file(data["xlsx"], "r.xlsx"))
        assert sheet.ok and len(sheet.rows) == units, sheet.errors[:3]

        created: list[int] = []

        def fresh() -> Community:
            community = register_service.create_community(
                None, f"BENCH{secrets.token_hex(3)}", "基准小区"
            )
            db.session.commit()
            created.append(community.id)
            return community

        def dry_run(community: Community) -> register_service.ImportPlan:
            result = register_service.plan_import(community, sheet)
            db.session.rollback()
            return result

        def apply(community: Community, s: ri.ParsedSheet) -> register_service.ImportPlan:
            result = register_service.apply_import(None, community, s)
            db.session.commit()
            return result

        try:
            community = fresh()
            times["dry run, empty register"], plan = best_of(repeat, lambda: dry_run(community))
            assert len(plan.units_new) == units
            # The first import, each time into a new empty community.
            first = []
            for _ in range(repeat):
                community = fresh()
                start = time.perf_counter()
                plan = apply(community, sheet)
                first.append(time.perf_counter() - start)
                assert len(plan.units_new) == units
            times["apply, first import (commit)"] = min(first)

            times["dry run, same sheet again"], plan = best_of(repeat, lambda: dry_run(community))
            assert not plan.has_changes
            times["apply, same sheet again"], _ = best_of(repeat, lambda: apply(community, sheet))

            edited_rows = sheet_rows(units)
            for row in edited_rows[::10]:
                row[3] = row[3] + 0.5  # a tenth of the areas corrected
            edited = ri.parse_file(as_xlsx(edited_rows), "edited.xlsx")
            start = time.perf_counter()
            plan = apply(community, edited)
            times["apply, edited sheet (10% of areas)"] = time.perf_counter() - start
            assert len(plan.units_changed) == len(edited_rows[::10])

            times["parse + dry run + apply (XLSX, first import)"] = (
                times["parse XLSX"]
                + times["dry run, empty register"]
                + times["apply, first import (commit)"]
            )
        finally:
            db.session.rollback()
            for community_id in created:
                cleanup(community_id)
        db.session.remove()
        db.engine.dispose()

    print(f"\n{label}: {units:,} units (best of {repeat}; the edited sheet once)")
    print(f"  {'baseline: bare executemany INSERT, committed':48} {base:8.3f} s")
    for name, seconds in times.items():
        print(f"  {name:48} {seconds:8.3f} s   {seconds / base:6.1f} × baseline")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    start = time.perf_counter()
    rows = sheet_rows(args.units)
    data = {"csv": as_csv(rows), "xlsx": as_xlsx(rows)}
    print(
        f"sheet: {args.units:,} units, CSV {len(data['csv']) / 1024:.0f} kB, "
        f"XLSX {len(data['xlsx']) / 1024:.0f} kB, generated in {time.perf_counter() - start:.2f} s"
    )
    with tempfile.TemporaryDirectory() as folder:
        run("SQLite", f"sqlite:///{Path(folder) / 'bench.db'}", args.units, args.repeat, data)
    pg = os.environ.get("TEST_DATABASE_URL", "")
    if pg.startswith("postgresql"):
        run("PostgreSQL", pg, args.units, args.repeat, data)
    else:
        print("\nPostgreSQL: skipped (set TEST_DATABASE_URL=postgresql+psycopg://…)")


if __name__ == "__main__":
    main()
