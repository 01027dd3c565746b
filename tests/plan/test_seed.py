"""The demo menus: both communities have one, XFL's priced by its committee."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import select

from participation.core import seed
from participation.core.models import AuditEntry, Community
from participation.core.timeutil import aware
from participation.plan.models import MenuItem

NOW = datetime(2026, 5, 20, 8, 30, tzinfo=UTC)


def _menu(db, code: str) -> dict:
    comm = db.session.scalar(select(Community).where(Community.code == code))
    items = db.session.scalars(select(MenuItem).where(MenuItem.community_id == comm.id)).all()
    return {i.key: i for i in items}


def test_demo_menus(db):
    seed.seed_demo(now=NOW)
    db.session.commit()
    xfl, jsxc = _menu(db, "XFL"), _menu(db, "JSXC")
    assert len(xfl) == 32 and None in xfl  # 31 defaults and the committee's own item
    assert xfl[None].name_zh == "公共晾衣架" and xfl[None].cost_amount == Decimal("36000.00")
    insulation, lift = xfl["insulation"], xfl["lift"]
    assert (insulation.cost_basis, insulation.cost_amount) == ("per_m2", Decimal("120.00"))
    assert (lift.cost_basis, lift.cost_amount, lift.residents_share) == (
        "total",
        Decimal("680000.00"),
        True,
    )
    assert xfl["kindergarten"].hidden
    assert len(jsxc) == 31 and not any(i.has_cost for i in jsxc.values())
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action.like("menu.%")).order_by(AuditEntry.id)
    ).all()
    assert {e.action for e in entries} == {"menu.create", "menu.edit", "menu.add", "menu.hide"}
    assert all(aware(e.at) < NOW for e in entries)
