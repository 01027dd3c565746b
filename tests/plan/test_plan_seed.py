"""The demo plans: XFL's v2 adopted by a passed confirmation vote (v1 superseded), JSXC's draft;
read through the public interface other packages use."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import select

from participation.core.models import Community, Unit
from participation.plan import public
from participation.plan.models import Plan
from participation.voting.models import Vote

NOW = datetime(2026, 5, 20, 8, 30, tzinfo=UTC)


def _comm(db, code):
    return db.session.scalar(select(Community).where(Community.code == code))


def test_demo_plans(db, demo_copy):
    demo_copy(now=NOW)
    xfl, jsxc = _comm(db, "XFL"), _comm(db, "JSXC")
    adopted = public.adopted_plan(xfl.id)
    assert adopted is not None and adopted.version == 2 and adopted.status == "adopted"
    assert adopted.total > 0 and adopted.residents_total > 0
    assert adopted.total == sum(line.cost for line in adopted.lines)
    assert sum(a for _k, a in adopted.sources) == adopted.total  # fully funded
    area = sum(db.session.scalars(select(Unit.area).where(Unit.community_id == xfl.id)), Decimal(0))
    assert adopted.residents_total == (area * 15).quantize(Decimal("0.01"))
    vote = db.session.get(Vote, adopted.vote_id)
    assert vote.status == "closed" and vote.result["passed"] is True and vote.rule == "special"
    assert adopted.adopted_at is not None and adopted.adopted_at < NOW
    versions = db.session.scalars(
        select(Plan).where(Plan.community_id == xfl.id).order_by(Plan.version)
    ).all()
    assert [(p.version, p.status) for p in versions] == [(1, "superseded"), (2, "adopted")]
    assert public.current_plan(xfl.id).id == adopted.id
    shares = public.unit_shares(adopted.id)
    assert sum(shares.values()) == adopted.residents_total
    assert public.adopted_plan_ids() == {xfl.id: adopted.id}
    assert public.adopted_plan(jsxc.id) is None
    draft = public.current_plan(jsxc.id)
    assert draft is not None and draft.status == "draft" and draft.version == 1
