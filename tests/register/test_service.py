"""The register import against the database: plan, apply, re-import, edits, refusals."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from participation.core import register_import as ri
from participation.core.errors import DomainError
from participation.core.models import (
    AuditEntry,
    Building,
    Community,
    Entrance,
    Owner,
    Project,
    Unit,
)
from participation.core.services import register as register_service
from tests.register.conftest import count_queries
from tests.register.sheets import GOOD, csv_bytes


def parse(rows, headers=None) -> ri.ParsedSheet:
    return ri.parse_file(csv_bytes(rows, *([headers] if headers else [])), "register.csv")


def state(db, community) -> list[tuple]:
    """The register as plain facts: (unit id, label, area, owner key, name, phone, developer)."""
    rows = db.session.execute(
        select(
            Unit.id,
            Building.name,
            Entrance.name,
            Unit.room,
            Unit.area,
            Owner.key,
            Owner.name,
            Owner.phone,
            Owner.is_developer,
        )
        .join(Entrance, Unit.entrance_id == Entrance.id)
        .join(Building, Entrance.building_id == Building.id)
        .join(Owner, Unit.owner_id == Owner.id)
        .where(Unit.community_id == community.id)
        .order_by(Unit.id)
    ).all()
    return [(r[0], f"{r[1]}-{r[2]}-{r[3]}", *r[4:]) for r in rows]


def count(db, model, community) -> int:
    return db.session.scalar(select(func.count(model.id)).where(model.community_id == community.id))


def test_create_community_with_its_project(db, ctx):
    community = register_service.create_community(
        None, "HX-01", " 幸福小区 ", name_en="Happy", district="西湖区", address="文一路 1 号"
    )
    db.session.commit()
    assert (community.code, community.name, community.district) == ("HX-01", "幸福小区", "西湖区")
    project = db.session.scalar(select(Project).where(Project.community_id == community.id))
    assert [s.key for s in project.steps] == ["consult", "plan", "pledge", "build", "share"]
    assert db.session.scalar(select(AuditEntry.action)) == "community.create"


@pytest.mark.parametrize(
    ("code", "name", "field"),
    [("", "x", "code"), ("a b", "x", "code"), ("a/b", "x", "code"), ("A1", " ", "name")],
)
def test_create_community_refuses_bad_input(db, ctx, code, name, field):
    with pytest.raises(DomainError) as info:
        register_service.create_community(None, code, name)
    assert info.value.field == field


def test_create_community_refuses_a_taken_code(db, ctx, empty):
    with pytest.raises(DomainError) as info:
        register_service.create_community(None, "R01", "别的小区")
    assert "R01" in info.value.message


def test_dry_run_counts_and_writes_nothing(db, empty):
    plan = register_service.plan_import(empty, parse(GOOD))
    assert plan.ok and plan.has_changes and not plan.applied
    assert plan.counts() == {
        "rows": 6,
        "bad_rows": 0,
        "buildings_new": 3,
        "entrances_new": 4,
        "units_new": 6,
        "owners_new": 4,
        "owners_changed": 0,
        "units_changed": 0,
        "units_unchanged": 0,
        "units_missing": 0,
    }
    assert plan.buildings_new == ["1", "2", "10"]
    assert plan.entrances_new == ["1-1", "1-2", "2-1", "10-1"]
    db.session.commit()
    assert count(db, Unit, empty) == 0 and count(db, Owner, empty) == 0


def test_apply_writes_the_register_and_the_audit(db, empty):
    actor = None
    plan = register_service.apply_import(actor, empty, parse(GOOD))
    db.session.commit()
    assert plan.applied
    assert count(db, Unit, empty) == 6
    assert count(db, Building, empty) == 3
    assert db.session.scalar(select(func.count(Entrance.id))) == 4
    facts = {label: rest for _id, label, *rest in state(db, empty)}
    assert facts["1-1-101"] == [Decimal("80.50"), "1-1-101", "李四", "13800000001", False]
    assert facts["1-1-102"][1:] == ["A1", "张三", "13800000002", False]
    assert facts["1-2-101"][1:] == ["A1", "张三", "13800000002", False]
    assert facts["2-1-101"][1:] == ["2-1-101", "王五", "", False]
    # Natural order: building 10 after building 2.
    keys = dict(db.session.execute(select(Building.name, Building.sort_key)).all())
    assert sorted(keys, key=keys.get) == ["1", "2", "10"]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "register.import"))
    assert entry.community_id == empty.id
    assert entry.detail["units_new"] == 6 and entry.detail["owners_new"] == 4


def test_owner_with_several_units_counts_once(db, empty):
    register_service.apply_import(None, empty, parse(GOOD))
    db.session.commit()
    zhang = db.session.scalar(select(Owner).where(Owner.key == "A1"))
    assert sorted(u.room for u in zhang.units) == ["101", "102"]
    heads = db.session.scalar(
        select(func.count(func.distinct(Unit.owner_id))).where(Unit.community_id == empty.id)
    )
    assert heads == 4  # 6 units: 李四, 张三 (2 units), 王五, the developer (2 units)


def test_developer_units_share_one_owner(db, empty):
    register_service.apply_import(None, empty, parse(GOOD))
    db.session.commit()
    developers = db.session.scalars(select(Owner).where(Owner.is_developer)).all()
    assert len(developers) == 1
    assert developers[0].key == ri.DEVELOPER_KEY and developers[0].name == "开发商"
    assert sorted(u.label() for u in developers[0].units) == ["10-1-101", "2-1-102"]


def test_an_existing_developer_owner_is_kept(db, empty):
    legacy = Owner(community_id=empty.id, key="dev-old", name="老开发商", is_developer=True)
    db.session.add(legacy)
    db.session.commit()
    plan = register_service.apply_import(None, empty, parse(GOOD))
    db.session.commit()
    assert ri.DEVELOPER_KEY not in plan.owners_new
    assert db.session.scalar(select(func.count(Owner.id)).where(Owner.is_developer)) == 1
    assert sorted(u.label() for u in legacy.units) == ["10-1-101", "2-1-102"]


def test_nothing_is_written_when_any_row_is_bad(db, empty):
    rows = [*GOOD, ["3", "1", "101", "-5", "", "", ""]]
    sheet = parse(rows)
    assert not sheet.ok
    plan = register_service.plan_import(empty, sheet)
    assert [(e.row, e.code) for e in plan.errors] == [(8, "area_not_positive")]
    assert len(plan.units_new) == 6  # what the good rows would do, for the preview
    with pytest.raises(register_service.ImportRefused) as info:
        register_service.apply_import(None, empty, sheet)
    assert info.value.plan.bad_rows == 1
    assert "1 row of the sheet has errors" in info.value.message
    db.session.rollback()
    assert count(db, Unit, empty) == 0
    assert count(db, Owner, empty) == 0
    assert count(db, Building, empty) == 0
    assert (
        db.session.scalar(
            select(func.count(AuditEntry.id)).where(AuditEntry.action == "register.import")
        )
        == 0
    )


def test_reimporting_the_same_sheet_changes_nothing(db, empty):
    register_service.apply_import(None, empty, parse(GOOD))
    db.session.commit()
    before = state(db, empty)
    owners_before = count(db, Owner, empty)
    plan = register_service.plan_import(empty, parse(GOOD))
    assert not plan.has_changes
    assert plan.units_unchanged == 6 and plan.units_missing == []
    plan = register_service.apply_import(None, empty, parse(GOOD))
    db.session.commit()
    assert plan.applied and not plan.has_changes
    assert state(db, empty) == before
    assert count(db, Owner, empty) == owners_before


def test_edited_sheet_updates_area_and_owner_in_place(db, empty):
    register_service.apply_import(None, empty, parse(GOOD))
    db.session.commit()
    ids_before = {label: id_ for id_, label, *_rest in state(db, empty)}
    edited = [list(r) for r in GOOD]
    edited[0][3] = "81.75"  # 1-1-101: area corrected
    edited[3][4:7] = ["A1", "张三", ""]  # 2-1-101: now held by 张三 as well
    edited[1][6] = "13900000009"  # 张三's new phone
    plan = register_service.plan_import(empty, parse(edited))
    assert plan.ok
    assert [(c.label, c.area_changed, c.owner_changed) for c in plan.units_changed] == [
        ("1-1-101", True, False),
        ("2-1-101", False, True),
    ]
    area_change = plan.units_changed[0]
    assert (area_change.row, area_change.area_before, area_change.area_after) == (
        2,
        Decimal("80.50"),
        Decimal("81.75"),
    )
    assert plan.units_changed[1].owner_before == "王五 (2-1-101)"
    assert plan.units_changed[1].owner_after == "张三 (A1)"
    assert [(c.key, c.phone_before, c.phone_after) for c in plan.owners_changed] == [
        ("A1", "13800000002", "13900000009")
    ]
    assert plan.units_new == [] and plan.owners_new == [] and plan.units_unchanged == 4

    register_service.apply_import(None, empty, parse(edited))
    db.session.commit()
    after = {label: (id_, *rest) for id_, label, *rest in state(db, empty)}
    assert len(after) == 6  # no duplicates
    assert {label: v[0] for label, v in after.items()} == ids_before  # same rows, updated
    assert after["1-1-101"][1] == Decimal("81.75")
    assert after["2-1-101"][2:4] == ("A1", "张三")
    assert after["1-1-102"][4] == "13900000009"
    # Importing the edited sheet again is a no-op.
    assert not register_service.plan_import(empty, parse(edited)).has_changes


def test_units_missing_from_the_sheet_are_reported_not_deleted(db, empty):
    register_service.apply_import(None, empty, parse(GOOD))
    db.session.commit()
    plan = register_service.apply_import(None, empty, parse(GOOD[:2]))
    db.session.commit()
    assert plan.units_missing == ["1-2-101", "2-1-101", "2-1-102", "10-1-101"]
    assert count(db, Unit, empty) == 6


def test_absent_optional_columns_leave_owners_names_and_phones_alone(db, empty):
    register_service.apply_import(None, empty, parse(GOOD))
    db.session.commit()
    before = {label: rest for _id, label, *rest in state(db, empty)}
    areas_only = [r[:4] for r in GOOD] + [["3", "1", "101", "66"]]
    areas_only[0][3] = "81"
    sheet = parse(areas_only, headers=["楼栋", "单元", "房号", "面积"])
    plan = register_service.plan_import(empty, sheet)
    # A sheet of areas says nothing about owners: 张三 keeps both units, the developer its two.
    assert [(c.label, c.area_changed, c.owner_changed) for c in plan.units_changed] == [
        ("1-1-101", True, False)
    ]
    assert plan.owners_changed == [] and plan.owners_new == ["3-1-101"]
    register_service.apply_import(None, empty, sheet)
    db.session.commit()
    after = {label: rest for _id, label, *rest in state(db, empty)}
    assert after.pop("3-1-101")[1:] == ["3-1-101", "", "", False]
    assert after["1-1-101"][0] == Decimal("81.00")
    after["1-1-101"][0] = before["1-1-101"][0]
    assert after == before


def test_present_but_empty_phone_clears_it(db, empty):
    register_service.apply_import(None, empty, parse(GOOD))
    db.session.commit()
    edited = [list(r) for r in GOOD]
    edited[0][6] = ""
    plan = register_service.apply_import(None, empty, parse(edited))
    db.session.commit()
    assert [(c.key, c.phone_after) for c in plan.owners_changed] == [("1-1-101", "")]


def test_factory_register_matches_an_equivalent_sheet(db, ctx, community):
    """The factories key owners like the import does (building-entrance-room)."""
    rows = [
        [label.split("-")[0], label.split("-")[1], label.split("-")[2], str(area), key, name, phone]
        for _id, label, area, key, name, phone, _dev in state(db, community)
    ]
    for row in rows:
        if row[4] == "-".join(row[:3]):
            row[4] = ""  # left empty, derived again
    plan = register_service.plan_import(community, parse(rows))
    assert plan.ok, plan.errors
    assert not plan.has_changes and plan.units_unchanged == 16


def test_rows_given_as_sheet_rows(db, empty):
    rows = [
        ri.SheetRow(2, "1", "1", "101", Decimal("50.00"), "X"),
        ri.SheetRow(3, "1", "1", "102", Decimal("50.00"), "X"),
    ]
    plan = register_service.apply_import(None, empty, rows)
    db.session.commit()
    assert (len(plan.units_new), plan.owners_new) == (2, ["X"])


def test_import_takes_a_handful_of_queries_whatever_the_size(db, empty):
    def rows(n: int) -> list[list[str]]:
        return [
            [str(b), "1", str(100 + r), "70", "", f"业主{b}{r}", ""]
            for b in (1, 2)
            for r in range(n)
        ]

    with count_queries(db.engine) as small:
        register_service.apply_import(None, empty, parse(rows(3)))
    db.session.commit()
    other = register_service.create_community(None, "R02", "大小区")
    db.session.commit()
    with count_queries(db.engine) as large:
        register_service.apply_import(None, other, parse(rows(150)))
    db.session.commit()
    assert count(db, Unit, other) == 300
    assert len(large) == len(small) <= 12

    edited = rows(150)
    for row in edited:
        row[3] = "71"
    with count_queries(db.engine) as update:
        plan = register_service.apply_import(None, other, parse(edited))
    assert len(plan.units_changed) == 300
    assert len(update) <= 8


def test_community_is_untouched_by_another_communitys_import(db, ctx, community, empty):
    before = state(db, community)
    register_service.apply_import(None, empty, parse(GOOD))
    db.session.commit()
    assert state(db, community) == before
    assert db.session.scalar(select(func.count(Community.id))) == 2
