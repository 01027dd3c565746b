"""Operator commands: create-community and import-households."""

from __future__ import annotations

from sqlalchemy import func, select

from participation.core.models import AuditEntry, Community, Project, Unit
from tests.register.sheets import GOOD, csv_bytes, xlsx_bytes


def units(db, code: str = "HX01") -> int:
    return db.session.scalar(
        select(func.count(Unit.id)).join(Community).where(Community.code == code)
    )


def run(app, *args: str):
    return app.test_cli_runner().invoke(args=[*args, "--lang", "en"])


def test_create_community(app, db):
    result = run(
        app, "create-community", "HX01", "幸福小区", "--name-en", "Happy", "--district", "西湖区"
    )
    assert result.exit_code == 0, result.output
    assert "created community HX01" in result.output
    community = db.session.scalar(select(Community).where(Community.code == "HX01"))
    assert (community.name, community.name_en, community.district) == (
        "幸福小区",
        "Happy",
        "西湖区",
    )
    assert db.session.scalar(select(Project.id).where(Project.community_id == community.id))

    again = run(app, "create-community", "HX01", "别的")
    assert again.exit_code == 1
    assert "already exists" in again.output


def test_import_dry_run_then_apply_then_again(app, db, tmp_path):
    run(app, "create-community", "HX01", "幸福小区")
    sheet = tmp_path / "register.csv"
    sheet.write_bytes(csv_bytes(GOOD))

    dry = run(app, "import-households", str(sheet), "--community", "HX01", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "units to create:      6" in dry.output
    assert "owners to create:     4" in dry.output
    assert "dry run: nothing was written." in dry.output
    assert units(db) == 0

    real = run(app, "import-households", str(sheet), "--community", "HX01")
    assert real.exit_code == 0, real.output
    assert "imported." in real.output
    assert units(db) == 6
    assert (
        db.session.scalar(select(AuditEntry.actor_id).where(AuditEntry.action == "register.import"))
        is None
    )

    again = run(app, "import-households", str(sheet), "--community", "HX01")
    assert again.exit_code == 0
    assert "units unchanged:      6" in again.output
    assert "the register already matches." in again.output
    assert units(db) == 6


def test_import_with_bad_rows_exits_1_and_writes_nothing(app, db, tmp_path):
    run(app, "create-community", "HX01", "幸福小区")
    sheet = tmp_path / "register.xlsx"
    rows = [[1, 1, 101, 80], [1, 1, 102, "abc"], [1, 1, 101, 80], [1, 2, 101, 0]]
    sheet.write_bytes(xlsx_bytes(rows, ["building", "entrance", "room", "area_m2"]))
    result = run(app, "import-households", str(sheet), "--community", "HX01")
    assert result.exit_code == 1
    assert "row 3: The area “abc” is not a number." in result.output
    assert "row 4: Room 1-1-101 appears twice: rows 2 and 4." in result.output
    assert "row 5: The area must be more than 0 (it is 0)." in result.output
    assert "3 row(s) with errors: nothing was imported." in result.output
    assert units(db) == 0

    dry = run(app, "import-households", str(sheet), "--community", "HX01", "--dry-run")
    assert dry.exit_code == 1


def test_import_refuses_unknown_community_and_unreadable_files(app, db, tmp_path):
    sheet = tmp_path / "register.csv"
    sheet.write_bytes(csv_bytes(GOOD))
    result = run(app, "import-households", str(sheet), "--community", "NOPE")
    assert result.exit_code == 1 and "no community with code NOPE" in result.output

    run(app, "create-community", "HX01", "幸福小区")
    picture = tmp_path / "photo.png"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n")
    result = run(app, "import-households", str(picture), "--community", "HX01")
    assert result.exit_code == 1 and "Please choose a .csv or .xlsx file." in result.output


def test_messages_default_to_the_apps_language(app, db, tmp_path):
    """Without --lang the command still runs outside a request (Babel is given a locale)."""
    sheet = tmp_path / "register.csv"
    sheet.write_bytes(csv_bytes([["1", "1", "101", ""]], ["楼栋", "单元", "房号", "面积"]))
    app.test_cli_runner().invoke(args=["create-community", "HX01", "幸福小区"])
    result = app.test_cli_runner().invoke(
        args=["import-households", str(sheet), "--community", "HX01"]
    )
    assert result.exit_code == 1
    assert "row 2:" in result.output
