"""The demo's step 3: XFL's funding plan (with a gap and the maintenance fund's vote), its own
reward rule partly unlocked, pledges in every state, the honour roll's opt-ins, spending, and
the demo residents' own pledges."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import func, select

from participation.core import seed
from participation.core.models import AuditEntry, Community, User
from participation.core.timeutil import aware
from participation.pledge import services
from participation.pledge.models import FundingSource, Pledge, SpendingEntry
from participation.voting.models import Vote

NOW = datetime(2026, 5, 20, 8, 30, tzinfo=UTC)


def test_demo_pledges(app, db, demo_copy):
    with app.test_request_context():
        demo_copy(now=NOW)
        xfl = db.session.scalar(select(Community).where(Community.code == "XFL"))
        led = services.ledger(xfl)
    assert led.gap == Decimal("15000.00") and not led.open  # building now (step 4)
    fund = db.session.scalar(
        select(FundingSource).where(
            FundingSource.community_id == xfl.id, FundingSource.kind == "maintenance_fund"
        )
    )
    vote = db.session.get(Vote, fund.vote_id)
    assert vote.community_id == xfl.id and vote.result["passed"] is True
    statuses = dict(
        db.session.execute(
            select(Pledge.status, func.count(Pledge.id))
            .where(Pledge.community_id == xfl.id)
            .group_by(Pledge.status)
        ).all()
    )
    assert set(statuses) == {"pledged", "fulfilled", "withdrawn", "cancelled"}
    kinds = {k: v.pledged_count for k, v in led.kinds.items()}
    assert all(kinds.values())
    assert not led.rule.inherited
    assert led.result.unlocked and Decimal(0) < led.result.reward < led.result.cap
    named = [h for h in led.honour if h.named]
    assert 0 < len(named) < len(led.honour)
    assert all("*" in h.name for h in led.honour if not h.named)
    assert len(led.spending) == 6 and led.spent > 0
    # Pledges, confirmations and withdrawals happened in step 3's window, audited then.
    opened = seed.SeedContext(now=NOW, rng=None, password_hash="").at(
        seed.XFL_TIMELINE["pledge"][0], 9
    )
    first = db.session.scalar(
        select(func.min(AuditEntry.at)).where(AuditEntry.action == "pledge.make")
    )
    assert aware(first) >= opened
    owner = db.session.scalar(select(User).where(User.phone == "13800000011"))
    mine = db.session.scalars(select(Pledge).where(Pledge.user_id == owner.id)).all()
    assert sorted(p.status for p in mine) == ["fulfilled", "pledged"]
    elder = db.session.scalar(select(User).where(User.phone == "13800000014"))
    assert db.session.scalar(select(Pledge.skill).where(Pledge.user_id == elder.id)) == (
        "elderly_help"
    )
    assert db.session.scalar(select(func.count(SpendingEntry.id))) == 6
