"""Test helpers of the plan package for other packages' tests: a community with an adopted
renovation plan (so step 2's gate lets the project move on to step 3)."""

from __future__ import annotations

from decimal import Decimal

from participation.core.timeutil import utcnow
from participation.plan.models import Plan, PlanLine, PlanSource, PlanStatus


def adopted_plan(
    session,
    community,
    *,
    total: Decimal = Decimal("100000.00"),
    residents: Decimal = Decimal("20000.00"),
) -> Plan:
    """Version 1 of the community's plan, adopted: one basic item costing `total`, funded by a
    government subsidy and `residents`. Written directly, without its vote (which the plan
    tests cover): the status stored as adopted is what the gate and public.py read."""
    plan = Plan(
        community_id=community.id,
        version=1,
        title="改造方案",
        status=PlanStatus.ADOPTED,
        decided_at=utcnow(),
        published_at=utcnow(),
    )
    session.add(plan)
    session.flush()
    session.add(
        PlanLine(
            plan_id=plan.id,
            category="basic",
            name_zh="屋面防水修缮",
            name_en="Roof repair and waterproofing",
            quantity=Decimal("1.00"),
            unit_cost=total,
            cost=total,
            position=10,
        )
    )
    session.add_all(
        [
            PlanSource(plan_id=plan.id, source="government_subsidy", amount=total - residents),
            PlanSource(plan_id=plan.id, source="residents", amount=residents),
        ]
    )
    session.commit()
    return plan
