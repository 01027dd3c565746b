"""The read interface of step 3 for other packages (the results board of step 5, the city
dashboard) and the JSON API. Plain dicts, no ORM objects, no personal data.

- `funding_summary(community_id)`: what GET /api/v1/communities/<code>/funding returns: the
  funding sources, pledged and confirmed totals by type, households pledging, the reward
  computed with its rule and conditions, and the money spent.
- `totals_by_community()`: community id → pledged, confirmed, households pledging and reward,
  for every community in a fixed number of SQL aggregates (no query per community).

Money is a decimal string in yuan with two places ("1234.50"), hours one place ("12.5").
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from ..core.models import Community, Unit
from ..extensions import db
from . import reward as rules
from . import services
from .models import LIVE_STATUSES, Pledge, PledgeKind, PledgeStatus, RewardSetting


def _m(value: Decimal | None) -> str | None:
    return None if value is None else f"{services.money(value):.2f}"


def _h(value: Decimal) -> str:
    return f"{Decimal(value).quantize(Decimal('0.1')):.1f}"


def rule_document(rule: services.RuleInUse) -> dict[str, Any]:
    r = rule.rule
    return {
        "inherited": rule.inherited,
        "match_ratio": f"{r.match_ratio.normalize():f}",
        "include_in_kind": r.include_in_kind,
        "labour_rate": _m(rule.labour_rate),
        "cap_kind": r.cap_kind,
        "cap_amount": _m(r.cap_amount) if r.cap_kind != rules.CAP_NONE else None,
        "min_household_share": f"{r.min_household_share.normalize():f}",
        "min_per_m2": _m(r.min_per_m2),
    }


def reward_document(result: rules.RewardResult, rule: services.RuleInUse) -> dict[str, Any]:
    return {
        "rule": rule_document(rule),
        "base": _m(result.base),
        "cap": _m(result.cap),
        "potential": _m(result.potential),
        "amount": _m(result.reward),
        "unlocked": result.unlocked,
        "at_cap": result.at_cap,
        "conditions": [
            {
                "key": c.key,
                "required": c.required if c.key == "households" else _m(c.required),
                "actual": c.actual if c.key == "households" else _m(c.actual),
                "holds": c.holds,
            }
            for c in result.conditions
        ],
        "missing_money": _m(result.missing_money),
        "missing_households": result.missing_households,
        "unlocks": _m(result.unlocks),
    }


def ledger_document(led: services.Ledger) -> dict[str, Any]:
    kinds = led.kinds
    return {
        "community": led.community.code,
        "pledging_open": led.open,
        "plan": None
        if led.plan is None
        else {
            "id": led.plan.id,
            "version": led.plan.version,
            "title": led.plan.title,
            "total": _m(led.plan.total),
        },
        "sources": [
            {"kind": s.kind, "amount": _m(s.amount), "authorised_by_vote": s.vote_id}
            for s in led.sources
        ],
        "sources_total": _m(led.sources_total),
        "gap": _m(led.gap),
        "residents_target": _m(led.residents_target),
        "pledged": {
            "money": {
                "count": kinds[PledgeKind.MONEY].pledged_count,
                "amount": _m(kinds[PledgeKind.MONEY].pledged_amount),
            },
            "labour": {
                "count": kinds[PledgeKind.LABOUR].pledged_count,
                "hours": _h(kinds[PledgeKind.LABOUR].pledged_hours),
            },
            "materials": {
                "count": kinds[PledgeKind.MATERIALS].pledged_count,
                "value": _m(kinds[PledgeKind.MATERIALS].pledged_amount),
            },
        },
        "confirmed": {
            "money": {
                "count": kinds[PledgeKind.MONEY].confirmed_count,
                "amount": _m(kinds[PledgeKind.MONEY].confirmed_value),
            },
            "labour": {
                "count": kinds[PledgeKind.LABOUR].confirmed_count,
                "hours": _h(kinds[PledgeKind.LABOUR].confirmed_hours),
                "value": _m(kinds[PledgeKind.LABOUR].confirmed_value),
            },
            "materials": {
                "count": kinds[PledgeKind.MATERIALS].confirmed_count,
                "value": _m(kinds[PledgeKind.MATERIALS].confirmed_value),
            },
        },
        "households": {"total": led.households, "pledging": led.households_pledging},
        "reward": reward_document(led.result, led.rule),
        "spent": _m(led.spent),
    }


def funding_summary(community_id: int) -> dict[str, Any]:
    community = db.session.get(Community, community_id)
    if community is None:
        return {}
    return ledger_document(services.ledger(community, with_honour=False))


def totals_by_community() -> dict[int, dict[str, Any]]:
    """community id → {"pledged", "confirmed", "households", "households_pledging", "reward"}
    (money as Decimal) for every community with units: four aggregate queries in all."""
    live = Pledge.status.in_(LIVE_STATUSES)
    done = Pledge.status == PledgeStatus.FULFILLED
    is_money = Pledge.kind == PledgeKind.MONEY
    pledges = {
        cid: row
        for cid, *row in db.session.execute(
            select(
                Pledge.community_id,
                func.sum(Pledge.amount).filter(live, is_money),
                func.sum(Pledge.confirmed_value).filter(done, is_money),
                func.sum(Pledge.confirmed_value).filter(done, ~is_money),
                func.count(func.distinct(Pledge.unit_id)).filter(live),
            ).group_by(Pledge.community_id)
        )
    }
    units = db.session.execute(
        select(Unit.community_id, func.count(Unit.id), func.sum(Unit.area)).group_by(
            Unit.community_id
        )
    ).all()
    settings = {
        s.community_id: s
        for s in db.session.scalars(
            select(RewardSetting).where(RewardSetting.community_id.in_([cid for cid, *_ in units]))
        )
    }
    default = services.default_rule()
    out: dict[int, dict[str, Any]] = {}
    for cid, n_units, area in units:
        pledged, confirmed, in_kind, pledging = pledges.get(cid, (None, None, None, 0))
        setting = settings.get(cid)
        rule = services.rule_in_use(cid, setting=setting) if setting is not None else default
        result = rules.compute_reward(
            rule.rule,
            rules.Progress(
                confirmed_money=services.money(confirmed),
                confirmed_in_kind=services.money(in_kind),
                households_pledging=pledging or 0,
                households=n_units or 0,
                area=services.money(area),
            ),
        )
        out[cid] = {
            "pledged": services.money(pledged),
            "confirmed": services.money(confirmed),
            "households": n_units or 0,
            "households_pledging": pledging or 0,
            "reward": result.reward,
        }
    return out
