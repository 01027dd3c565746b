"""A 2,000-unit sheet, as a large community's committee would upload it. Counts only: the
timings live in benchmarks/import_households.py."""

from __future__ import annotations

from sqlalchemy import func, select

from participation.core import register_import as ri
from participation.core.models import Building, Owner, Unit
from participation.core.services import register as register_service
from tests.register.sheets import EN, big_rows, xlsx_bytes


def test_two_thousand_unit_xlsx(db, empty):
    data = xlsx_bytes(big_rows(2000), EN)
    sheet = ri.parse_file(data, "register.xlsx")
    assert sheet.ok, sheet.errors[:5]
    assert len(sheet.rows) == 2000
    assert len(sheet.owners) == 1942

    plan = register_service.plan_import(empty, sheet)
    assert (len(plan.buildings_new), len(plan.entrances_new)) == (10, 40)
    assert (len(plan.units_new), len(plan.owners_new)) == (2000, 1942)

    register_service.apply_import(None, empty, sheet)
    db.session.commit()
    assert (
        db.session.scalar(select(func.count(Unit.id)).where(Unit.community_id == empty.id)) == 2000
    )
    assert (
        db.session.scalar(select(func.count(Owner.id)).where(Owner.community_id == empty.id))
        == 1942
    )
    assert (
        db.session.scalar(select(func.count(Building.id)).where(Building.community_id == empty.id))
        == 10
    )
    developer = db.session.scalar(
        select(Owner).where(Owner.is_developer, Owner.community_id == empty.id)
    )
    assert len(developer.units) == 20

    again = register_service.plan_import(empty, ri.parse_file(data, "register.xlsx"))
    assert not again.has_changes and again.units_unchanged == 2000
