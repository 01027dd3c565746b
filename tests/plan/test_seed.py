"""The demo menus: both communities have one, XFL's priced by its committee."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import func, select

from participation.core.models import AuditEntry, Community
from participation.core.timeutil import aware
from participation.plan.models import MenuItem

NOW = datetime(2026, 5, 20, 8, 30, tzinfo=UTC)


def _menu(db, code: str) -> dict:
    comm = db.session.scalar(select(Community).where(Community.code == code))
    items = db.session.scalars(select(MenuItem).where(MenuItem.community_id == comm.id)).all()
    return {i.key or i.name_zh: i for i in items}  # custom items (no key) by name


def test_demo_menus(db, demo_copy):
    demo_copy(now=NOW)
    xfl, jsxc = _menu(db, "XFL"), _menu(db, "JSXC")
    # 31 defaults, the committee's own item and a resident's idea it added (ideas.seed)
    assert len(xfl) == 33 and "垃圾分类亭洗手池" in xfl
    racks = xfl["公共晾衣架"]
    assert racks.key is None and racks.cost_amount == Decimal("36000.00")
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


def test_demo_survey_is_closed_and_ranked(db, demo_copy):
    from participation.plan import survey
    from participation.plan.models import ChoiceRound, HouseholdPick

    demo_copy(now=NOW)
    xfl = db.session.scalar(select(Community).where(Community.code == "XFL"))
    round_ = db.session.scalar(select(ChoiceRound).where(ChoiceRound.community_id == xfl.id))
    assert round_ is not None and not round_.is_open(NOW) and round_.max_picks == 5
    result = survey.results(round_)
    assert 0 < result.answered < result.units
    picks = db.session.scalars(
        select(HouseholdPick).where(HouseholdPick.round_id == round_.id)
    ).all()
    per_unit: dict[int, int] = {}
    for p in picks:
        per_unit[p.unit_id] = per_unit.get(p.unit_id, 0) + 1
    assert len(per_unit) == result.answered and max(per_unit.values()) <= 5
    assert sum(r.households for r in result.by_households) == len(picks)
    # The households' most wished-for items lead the ranking.
    assert result.by_households[0].item.key in {"lift", "parking", "ebike_charging"}
    # Only JSXC's menu exists: no survey there yet.
    assert db.session.scalar(select(func.count()).select_from(ChoiceRound)) == 1
