"""Builders for step 5 tests: an adopted plan with several lines, closed votes with results."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from participation.core.models import Community
from participation.core.timeutil import utcnow
from participation.plan.models import Plan, PlanLine, PlanSource, PlanStatus

LINES = (
    ("basic", "外墙保温", "Wall insulation", "300000.00"),
    ("improvement", "加装电梯", "Lift", "680000.00"),
    ("improvement", "增设充电桩", "E-bike charging", "20000.00"),
)


def plan(session: Session, comm: Community) -> Plan:
    p = Plan(
        community_id=comm.id,
        version=1,
        title="改造方案",
        status=PlanStatus.ADOPTED,
        decided_at=utcnow(),
    )
    session.add(p)
    session.flush()
    for n, (category, zh, en, cost) in enumerate(LINES, start=1):
        session.add(
            PlanLine(
                plan_id=p.id,
                position=n,
                category=category,
                name_zh=zh,
                name_en=en,
                quantity=Decimal(1),
                unit_cost=Decimal(cost),
                cost=Decimal(cost),
            )
        )
    session.add(PlanSource(plan_id=p.id, source="government_subsidy", amount=Decimal("1000000")))
    session.commit()
    return p


def closed_vote(
    session: Session,
    comm: Community,
    *,
    owners=(6, 4, 3),
    area=("500.00", "340.00", "250.00"),
    passed=True,
    rule="ordinary",
    scope="community",
    title="改造意愿表决",
):
    """A closed vote with a stored result: (electorate, participation, agree) owners and area."""
    from participation.consult.models import Topic, TopicStatus
    from participation.voting.models import Vote, VoteStatus

    now = utcnow()
    topic = Topic(
        community_id=comm.id,
        title=title,
        body="…",
        posted_at=now - timedelta(days=30),
        notice_days=7,
        status=TopicStatus.POSTED,
    )
    session.add(topic)
    session.flush()

    def totals(o, a):
        return {"owners": o, "units": o, "area": a}

    vote = Vote(
        community_id=comm.id,
        topic_id=topic.id,
        title=title,
        question="?",
        rule=rule,
        scope_kind=scope,
        scope_ids=[],
        opens_at=now - timedelta(days=20),
        closes_at=now - timedelta(days=10),
        status=VoteStatus.CLOSED,
        opened_at=now - timedelta(days=20),
        closed_at=now - timedelta(days=10),
        electorate_owners=owners[0],
        electorate_units=owners[0],
        electorate_area_cents=int(Decimal(area[0]) * 100),
        final_hash="0" * 64,
        result={
            "rule": rule,
            "electorate": totals(owners[0], area[0]),
            "participation": totals(owners[1], area[1]),
            "agree": totals(owners[2], area[2]),
            "disagree": totals(owners[1] - owners[2], "0.00"),
            "abstain": totals(0, "0.00"),
            "ballots": {"online": owners[1], "paper": 0, "proxy": 0},
            "quorum_met": True,
            "passed": passed,
            "thresholds": [],
        },
    )
    session.add(vote)
    session.commit()
    return vote
