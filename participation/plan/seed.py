"""Step 2's demo menu, appended to participation.core.seed.SEED_STEPS after the votes.

幸福里 (XFL) drafted its plan 212–141 days ago: its committee opened the default menu at the start
of step 2, entered cost estimates from the designer's survey over the following days (wall
insulation ¥120.00 per m², a lift ¥680,000.00 in total, shared by the residents), added its own
item (shared clothes-drying racks, asked for at the step 1 meetings) and hid the kindergarten
(no land for it inside the estate). 建设新村 (JSXC) is still in step 1: its menu is the default
copy, opened by its committee when the topic was posted, without costs yet.

Everything goes through the services at its moment of the story (participation.consult.seed's
`acting_at` dates the audit entries).
"""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from ..consult.seed import acting_at
from ..core.models import User
from ..core.seed import JSXC, JSXC_TIMELINE, SEED_STEPS, XFL, XFL_TIMELINE, SeedContext
from ..extensions import db
from . import services
from .models import CostBasis, MenuItem

TOTAL, PER_UNIT, PER_M2 = CostBasis.TOTAL, CostBasis.PER_UNIT, CostBasis.PER_M2

# key: (basis, amount in yuan, residents share the cost)
XFL_COSTS: dict[str, tuple[str, str, bool]] = {
    "water_supply": (PER_UNIT, "1800.00", False),
    "drainage": (TOTAL, "460000.00", False),
    "power": (PER_UNIT, "1500.00", False),
    "gas": (PER_UNIT, "2600.00", True),
    "overhead_lines": (TOTAL, "350000.00", False),
    "roads": (TOTAL, "820000.00", False),
    "fire_safety": (TOTAL, "260000.00", False),
    "security": (TOTAL, "380000.00", False),
    "waste_sorting": (TOTAL, "120000.00", False),
    "roof": (PER_M2, "95.00", False),
    "facade": (PER_M2, "65.00", False),
    "stairwell": (PER_UNIT, "900.00", False),
    "illegal_structures": (TOTAL, "50000.00", False),
    "greening": (TOTAL, "300000.00", False),
    "lighting": (TOTAL, "150000.00", False),
    "barrier_free": (TOTAL, "180000.00", False),
    "parking": (TOTAL, "420000.00", True),
    "ebike_charging": (TOTAL, "160000.00", False),
    "fitness": (TOTAL, "200000.00", False),
    "insulation": (PER_M2, "120.00", False),
    "lift": (TOTAL, "680000.00", True),
}

XFL_CUSTOM = {
    "category": "improvement",
    "name_zh": "公共晾衣架",
    "name_en": "Shared clothes-drying racks",
    "description_zh": "在向阳的空地上安装不锈钢晾衣架,被子衣服有地方晒,不再挂在树上和电线上。",
    "description_en": "Steel drying racks in sunny open spots: somewhere to air quilts and "
    "clothes instead of trees and cables.",
    "cost_basis": TOTAL,
    "cost_amount": "36000.00",
    "residents_share": False,
}

XFL_HIDDEN = ("kindergarten",)


def _values(item: MenuItem, **changes) -> dict:
    values = {name: getattr(item, name) for name in services.EDITABLE_FIELDS}
    values.update(changes)
    return values


def seed_menus(ctx: SeedContext) -> None:
    xfl, jsxc = ctx.communities[XFL], ctx.communities[JSXC]
    chair, jsxc_chair = ctx.users["committee:XFL"], ctx.users["committee:JSXC"]
    start = XFL_TIMELINE["plan"][0]

    with acting_at(ctx, ctx.at(start - 1, 9, 30)):
        services.ensure_menu(xfl, chair)
    items = {
        i.key: i
        for i in db.session.scalars(select(MenuItem).where(MenuItem.community_id == xfl.id))
    }
    for n, (key, (basis, amount, share)) in enumerate(XFL_COSTS.items()):
        at = ctx.at(start - 3 - n // 6, 14, 5 * (n % 6))
        with acting_at(ctx, at):
            services.update_item(
                chair,
                items[key],
                **_values(
                    items[key],
                    cost_basis=basis,
                    cost_amount=Decimal(amount),
                    residents_share=share,
                ),
            )
    with acting_at(ctx, ctx.at(start - 8, 10)):
        services.add_item(chair, xfl, **XFL_CUSTOM)
    with acting_at(ctx, ctx.at(start - 8, 10, 20)):
        for key in XFL_HIDDEN:
            services.hide_item(chair, items[key])

    with acting_at(ctx, ctx.at(JSXC_TIMELINE["consult"][0], 16)):
        services.ensure_menu(jsxc, jsxc_chair)
    db.session.flush()


SEED_STEPS.append(seed_menus)


# What XFL's households asked for most at the step 1 meetings: weights for their picks.
XFL_WISHES = {
    "lift": 9,
    "parking": 8,
    "ebike_charging": 7,
    "barrier_free": 6,
    "greening": 5,
    "lighting": 5,
    "fitness": 4,
    "insulation": 4,
    "parcel_lockers": 3,
    "elderly_care": 3,
}


def seed_survey(ctx: SeedContext) -> None:
    """XFL's household survey: open for two weeks early in step 2, answered by about two thirds
    of the homes with an account (up to 5 picks each), closed at its closing time. JSXC has none
    yet (it is still in step 1)."""
    from ..core.models import Residency, ResidencyStatus
    from . import survey

    xfl = ctx.communities[XFL]
    chair = ctx.users["committee:XFL"]
    opens, closes = (
        ctx.at(XFL_TIMELINE["plan"][0] - 10, 9),
        ctx.at(XFL_TIMELINE["plan"][0] - 24, 20),
    )
    with acting_at(ctx, opens):
        round_ = survey.open_round(chair, xfl, closes, 5, now=opens)
    pickable = {
        i.key or f"custom-{i.id}": i.id
        for i in db.session.scalars(
            select(MenuItem).where(
                MenuItem.community_id == xfl.id,
                MenuItem.category != "basic",
                MenuItem.hidden.is_(False),
            )
        )
    }
    keys = sorted(pickable)
    weights = [XFL_WISHES.get(k, 1) for k in keys]
    homes = db.session.execute(
        select(Residency.unit_id, Residency.user_id)
        .where(Residency.community_id == xfl.id, Residency.status == ResidencyStatus.ACTIVE)
        .order_by(Residency.unit_id, Residency.id)
    ).all()
    # Its own generator, so adding the survey leaves the later steps' random story unchanged.
    rng = random.Random(f"survey-{xfl.code}")
    last_answer = closes - timedelta(days=1)
    answered: set[int] = set()
    for unit_id, user_id in homes:
        if unit_id in answered or rng.random() > 0.66:
            continue
        answered.add(unit_id)
        wanted: set[str] = set()
        for _ in range(rng.randint(1, 5)):
            wanted.add(rng.choices(keys, weights)[0])
        user = db.session.get(User, user_id)
        survey.set_picks(
            user,
            round_,
            unit_id,
            [pickable[k] for k in sorted(wanted)],
            now=opens + (last_answer - opens) * rng.random(),
        )
    db.session.flush()


SEED_STEPS.append(seed_survey)


# ---------------------------------------------------------------------------------------------
# The costed plan (plans.py)
#
# 幸福里 (XFL): after the survey closed the committee drafted v1 (every basic item, the most
# wanted improvements, ¥20 per m² from the residents), posted it for comment; residents asked
# for the shared drying racks and a smaller residents' part, so the committee revised it: v2
# (v1 superseded) replaced the fitness corner with the racks and took ¥15 per m² from the
# residents. v2 was posted for 7 days, then confirmed by a special-rule vote (online ballots
# and paper ballots entered at the committee's desk), which passed: v2 is adopted. The lift of
# entrance 3-2 is not in the plan (its own vote failed in step 1).
# 建设新村 (JSXC, still in step 1): the committee has started a draft from its menu.

XFL_PLAN_ITEMS_V1 = (
    "water_supply", "drainage", "power", "gas", "overhead_lines", "roads", "fire_safety",
    "security", "waste_sorting", "roof", "facade", "stairwell", "illegal_structures",
    "greening", "lighting", "barrier_free", "parking", "ebike_charging", "fitness",
)  # fmt: skip
XFL_V1_RESIDENTS_PER_M2 = Decimal("20.00")
XFL_V2_RESIDENTS_PER_M2 = Decimal("15.00")

XFL_PLAN_COMMENTS = (
    (1, "owner", "健身角离我家窗户太近了，晚上跳广场舞会很吵，能不能换成晾衣架？楼下晒被子的地方都没有。"),
    (2, "family", "每平方米20元对退休老人来说有点多，能不能多申请一些以奖代补？"),
    (2, "owner", "停车位改造很需要，支持。充电桩请装在远离楼道的地方，注意消防。"),
    (3, "tenant", "租户也关心施工时间，希望提前公布停水停电安排。"),
)  # fmt: skip


def _plan_lines(items: dict[str, MenuItem], keys, units: int, area: Decimal):
    from .plans import LineInput, prefill

    lines = []
    for key in keys:
        qty, cost = prefill(items[key], units, area)
        lines.append(LineInput(items[key].id, qty, cost))
    return lines


def _balanced_sources(total: Decimal, residents: Decimal) -> dict[str, Decimal]:
    """Who pays what: the utilities their pipes and cables, a fixed reward and maintenance fund
    part, the property company a little, the government subsidy the rest."""
    utilities = (total * Decimal("0.12")).quantize(Decimal("0.01"))
    reward = Decimal("600000.00")
    fund = Decimal("250000.00")
    property_company = Decimal("80000.00")
    subsidy = total - utilities - reward - fund - property_company - residents
    return {
        "government_subsidy": subsidy,
        "reward": reward,
        "maintenance_fund": fund,
        "property_company": property_company,
        "utilities": utilities,
        "residents": residents,
    }


def _compose(ctx: SeedContext, chair: User, plan, items, keys, per_m2: Decimal, at) -> None:
    from . import plans

    units, area = plans.community_totals(plan.community_id)
    lines = _plan_lines(items, keys, units, area)
    total = sum(
        (plans.line_cost(Decimal(x.quantity), Decimal(x.unit_cost)) for x in lines), Decimal("0.00")
    )
    residents = (area * per_m2).quantize(Decimal("0.01"))
    with acting_at(ctx, at):
        plans.save_plan(
            chair,
            plan,
            title=plan.title,
            summary=plan.summary,
            lines=lines,
            sources=_balanced_sources(total, residents),
        )
    plan.updated_at = at


def seed_plans(ctx: SeedContext) -> None:
    from ..consult import services as consult
    from ..consult.models import Topic
    from ..consult.seed import residents_of
    from ..voting import services as voting
    from ..voting.seed import electors_of, owner_accounts, split_choices, within
    from . import plans

    xfl, jsxc = ctx.communities[XFL], ctx.communities[JSXC]
    chair = ctx.users["committee:XFL"]
    rng = random.Random(f"plan-{xfl.code}")  # its own, so the other steps' story is unchanged
    items = {
        i.key or "racks": i
        for i in db.session.scalars(select(MenuItem).where(MenuItem.community_id == xfl.id))
    }
    start = XFL_TIMELINE["plan"][0]

    created = ctx.at(start - 26, 9, 40)
    with acting_at(ctx, created):
        v1 = plans.create_plan(
            chair,
            xfl,
            "幸福里小区老旧小区综合改造实施方案",
            "根据意愿表决结果和住户选项调查编制：基础类项目应改尽改，完善类项目按调查得票排序选取。",
        )
    v1.created_at = created
    _compose(
        ctx,
        chair,
        v1,
        items,
        XFL_PLAN_ITEMS_V1,
        XFL_V1_RESIDENTS_PER_M2,
        ctx.at(start - 27, 16, 10),
    )
    posted = ctx.at(start - 28, 10)
    with acting_at(ctx, posted):
        topic1 = plans.publish_plan(chair, v1, 7, now=posted)
    v1.published_at = topic1.created_at = posted
    people = residents_of(ctx, XFL)
    for day, kind, text in XFL_PLAN_COMMENTS:
        early = [r for r in people if r.since < posted]
        who = rng.choice([r for r in early if r.relation == kind] or early)
        at = within(ctx, posted + timedelta(days=day - 1, hours=2), posted + timedelta(days=day))
        with acting_at(ctx, at):
            consult.add_comment(db.session.get(User, who.user_id), topic1, text, now=at)

    revised = ctx.at(start - 33, 15, 30)
    with acting_at(ctx, revised):
        v2 = plans.revise(chair, v1)
    v2.created_at = v1.updated_at = revised
    keys_v2 = [k for k in XFL_PLAN_ITEMS_V1 if k != "fitness"] + ["racks"]
    _compose(ctx, chair, v2, items, keys_v2, XFL_V2_RESIDENTS_PER_M2, ctx.at(start - 34, 11))
    posted2 = ctx.at(start - 35, 10)
    with acting_at(ctx, posted2):
        topic2 = plans.publish_plan(chair, v2, 7, now=posted2)
    v2.published_at = topic2.created_at = posted2
    with acting_at(ctx, ctx.at(start - 36, 9)):
        consult.add_comment(
            chair,
            topic2,
            "感谢大家的意见：第2版用公共晾衣架代替健身角，住户分摊降为每平方米15元，"
            "差额由以奖代补资金承担。公示期满后进行确认表决。",
            now=ctx.at(start - 36, 9),
        )
    opens, closes = ctx.at(start - 43, 9), ctx.at(start - 57, 18)
    with acting_at(ctx, ctx.at(start - 37, 10)):
        vote = plans.put_to_vote(
            chair, v2, opens_at=opens, closes_at=closes, now=ctx.at(start - 37, 10)
        )
    vote.created_at = vote.updated_at = ctx.at(start - 37, 10)
    with acting_at(ctx, opens):
        voting.open_vote(chair, vote, now=opens)
    electors = electors_of(vote)
    accounts = owner_accounts(ctx, XFL)
    voters = sorted(o for o, e in electors.items() if not e.developer)
    taking_part = rng.sample(voters, round(len(voters) * 0.86))
    choices = dict(
        zip(
            sorted(taking_part),
            split_choices(rng.shuffle, len(taking_part), {"agree": 0.9, "disagree": 0.06}),
            strict=True,
        )
    )
    events = []
    ref = iter(range(1, 10_000))
    for oid in sorted(taking_part):
        account = accounts.get(oid)
        if account is not None and account[1] < opens and rng.random() < 0.8:
            at = within(ctx, opens + timedelta(minutes=20), closes - timedelta(days=1))
            events.append((at, "online", oid, account[0]))
        else:
            at = within(ctx, opens + timedelta(days=1), closes - timedelta(hours=6))
            events.append((at, "paper", oid, None))
    year = opens.year
    for at, channel, oid, user in sorted(events, key=lambda e: (e[0], e[2])):
        if channel == "online":
            voting.cast_ballot(user, vote, choices[oid], now=at)
        else:
            with acting_at(ctx, at):
                voting.enter_paper_ballot(
                    chair, vote, choices[oid], f"XFL-{year}-P{next(ref):03d}", owner_id=oid, now=at
                )
    with acting_at(ctx, closes):
        tally = voting.close_vote(None, vote, now=closes)
    if not tally.outcome.passed:  # steps 3–5 of the demo rest on it
        raise RuntimeError("demo seed: the XFL plan confirmation vote did not pass")
    plans.settle(v2)
    v2.updated_at = closes
    with acting_at(ctx, ctx.at(start - 58, 10)):
        for topic in (topic1, topic2):
            consult.close_topic(chair, db.session.get(Topic, topic.id), now=ctx.at(start - 58, 10))

    # 建设新村: a draft in the committee's hands.
    jsxc_chair = ctx.users["committee:JSXC"]
    jsxc_items = {
        i.key: i
        for i in db.session.scalars(select(MenuItem).where(MenuItem.community_id == jsxc.id))
    }
    at = ctx.at(JSXC_TIMELINE["consult"][0] - 10, 20, 15)
    with acting_at(ctx, at):
        draft = plans.create_plan(jsxc_chair, jsxc, "建设新村老旧小区改造方案（草案）")
        draft.created_at = at
        plans.save_plan(
            jsxc_chair,
            draft,
            title=draft.title,
            summary="初稿：先列出基础类项目，费用待设计单位测算后补充。",
            lines=[
                plans.LineInput(jsxc_items[k].id, Decimal("1"), Decimal("0"))
                for k in ("water_supply", "drainage", "roof", "facade", "stairwell")
            ],
            sources={},
        )
        draft.updated_at = at
    db.session.flush()


# The plan's confirmation vote comes after step 1's votes in the story (and in SEED_STEPS).
from ..voting import seed as _voting_seed  # noqa: E402, F401

SEED_STEPS.append(seed_plans)
