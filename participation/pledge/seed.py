"""Step 3's demo, appended to participation.core.seed.SEED_STEPS after the plan.

幸福里 (XFL) pledged from 141 to 78 days ago (XFL_TIMELINE["pledge"]), after its plan v2 was
adopted; it is now building (step 4), which the core seed, the build step's demo and their tests
rest on, so the step stays where the timeline puts it. What the demo shows of step 3:

* the funding plan: the plan's sources, the maintenance fund linked to the plan's confirmation
  vote (a special-rule owners' decision, more than using the fund needs), and the water company's
  part ¥15,000.00 short of the plan after its final quote, so the ledger shows a gap;
* its own reward rule: ¥3 for every ¥1 residents pay, labour and materials included at ¥30 an
  hour, at most ¥600,000.00, once 40% of the homes pledge and residents put in ¥5 per m²;
* pledges in every state from the homes with an account: most money received (with receipt
  numbers), some still pledged (instalments, and the supervision volunteers who work during the
  build), some withdrawn (people who moved), some cancelled by the committee with a reason;
  about 45% opted into the named honour roll; the reward is unlocked but below its cap;
* spending entries paid out since building started.

The demo residents: 张伟民 paid his share for 3-2-502 (named) and still owes his pledge for
5-1-301 (he can withdraw it); 李秀英 helped elderly neighbours (received, not named); 刘洋 is a
supervision volunteer (pledged, working during the build); 张晓燕 gave paint.
"""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from ..consult.seed import acting_at, residents_of
from ..core.models import Relation, User
from ..core.seed import SEED_STEPS, XFL, XFL_TIMELINE, SeedContext
from ..extensions import db
from ..voting.seed import within
from . import services
from .models import Pledge

CANCEL_REASONS = (
    "同一户重复登记，已保留另一条。",
    "住户已搬离，款项未收到。",
    "多次联系未果，按住户意愿取消。",
)
MATERIALS = (
    ("外墙涂料", "2桶", "360.00"),
    ("花盆和绿植", "12盆", "240.00"),
    ("木质长椅", "1张", "800.00"),
    ("楼道灯泡", "20个", "120.00"),
    ("扫帚和拖把", "10套", "150.00"),
    ("防滑地垫", "6块", "180.00"),
    ("工具箱", "1套", "260.00"),
    ("晾衣绳", "50米", "75.00"),
)
SKILL_WEIGHTS = {
    "supervision": 5,
    "cleaning": 6,
    "electrical": 2,
    "carpentry": 2,
    "gardening": 4,
    "elderly_help": 4,
    "other": 1,
}
SPENDING = (
    # days after building started, amount, purpose, payee, reference, source
    (3, "120000.00", "第一期工程预付款（楼道粉刷、屋面防水）", "江北建工集团", "JBJG-2026-001", "residents"),
    (9, "18600.00", "楼道声控灯及线路材料", "宁波光明电器商行", "FP-33810927", "residents"),
    (16, "250000.00", "外墙保温工程进度款", "江北建工集团", "JBJG-2026-014", "maintenance_fund"),
    (30, "4800.00", "绿化苗木（含住户认捐以外部分）", "慈城苗木基地", "FP-33822145", "residents"),
    (44, "9650.00", "公共晾衣架制作安装", "宁波钢构五金", "FP-33850311", "residents"),
    (61, "200000.00", "以奖代补资金首期拨付工程款", "江北建工集团", "JBJG-2026-031", "reward"),
)  # fmt: skip


def _setup(ctx: SeedContext, xfl, chair, plan) -> None:
    start = XFL_TIMELINE["pledge"][0]
    at = ctx.at(start - 1, 10)
    with acting_at(ctx, at):
        services.ensure_sources(xfl, plan)
        amounts = {k: str(v) for k, v in plan.sources}
        utilities = Decimal(amounts.get("utilities", "0"))
        amounts["utilities"] = str(max(utilities - Decimal("15000.00"), Decimal(0)))
        services.set_sources(
            chair,
            xfl,
            amounts,
            notes={"utilities": "自来水公司最终报价下调，差额待街道协调。"},
            fund_vote_id=plan.vote_id,
        )
        services.set_reward_rule(
            chair,
            xfl,
            match_ratio="3",
            include_in_kind=True,
            labour_rate="30",
            cap_kind="total",
            cap_amount="600000",
            min_household_share_pct="40",
            min_per_m2="5",
        )
    for row in services.sources_of(xfl, plan.id):
        row.updated_at = at


def _token(rng: random.Random) -> str:
    return "".join(
        rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789") for _ in range(24)
    )


def seed_pledges(ctx: SeedContext) -> None:
    xfl = ctx.communities[XFL]
    chair = ctx.users["committee:XFL"]
    plan = services.adopted_plan(xfl)
    if plan is None:
        raise RuntimeError("demo seed: XFL has no adopted plan for its funding plan")
    rng = random.Random(f"pledge-{xfl.code}")  # its own, so the other steps' story is unchanged
    _setup(ctx, xfl, chair, plan)

    opened = ctx.at(XFL_TIMELINE["pledge"][0], 9)
    closed = ctx.at(XFL_TIMELINE["pledge"][1], 9)
    building = ctx.at(XFL_TIMELINE["build"][0], 9)
    shares = services.suggested_amounts(plan, [u.id for u in ctx.units[XFL]])
    units = {u.label(): u for u in ctx.units[XFL]}
    # The project was in step 3 then: the services check it, so open it for the seed's calls.
    from ..core.models import Project, ProjectStep

    steps = {
        s.key: s
        for s in db.session.scalars(
            select(ProjectStep)
            .join(Project, Project.id == ProjectStep.project_id)
            .where(Project.community_id == xfl.id)
        )
    }
    saved = {k: s.state for k, s in steps.items()}
    steps["pledge"].state, steps["build"].state = "active", "pending"
    db.session.flush()

    actions: list = []  # (when, order, function)

    def later(at, fn) -> None:
        actions.append((at, len(actions), fn))

    receipt = iter(range(1, 10_000))
    demo = {ctx.users[k].id: k for k in ("owner:XFL", "family:XFL", "tenant:XFL", "elder:XFL")}

    def pledge_money(user, unit, amount, at, fate, honour):
        def make():
            p, _ = services.make_pledge(
                user, xfl, unit_id=unit.id, kind="money", token=_token(rng), amount=amount,
                honour=honour, now=at,
            )  # fmt: skip
            _fate(p, fate, at, user)

        later(at, make)

    def _fate(p: Pledge, fate: str, at, user) -> None:
        if fate == "fulfilled":
            when = within(ctx, at + timedelta(days=1), min(at + timedelta(days=20), closed))
            ref = f"XFL-收-{next(receipt):04d}" if p.kind == "money" else ""

            def confirm():
                services.confirm(chair, p, reference=ref, now=when)

            later(when, confirm)
        elif fate == "withdrawn":
            when = within(ctx, at + timedelta(hours=3), at + timedelta(days=10))

            def withdraw():
                services.withdraw(user, p, now=when)

            later(when, withdraw)
        elif fate == "cancelled":
            when = within(ctx, at + timedelta(days=10), closed)

            def cancel():
                services.cancel(chair, p, rng.choice(CANCEL_REASONS), now=when)

            later(when, cancel)

    people = [r for r in residents_of(ctx, XFL) if r.since < closed]
    homes_done: set[str] = set()
    # One money pledge from most homes with an account (the first linked account of the home).
    for r in sorted(people, key=lambda r: (r.label, r.relation != Relation.OWNER, r.user_id)):
        if r.label in homes_done or r.user_id in demo:
            continue
        homes_done.add(r.label)
        if rng.random() > 0.9:
            continue
        unit = units[r.label]
        share = shares.get(unit.id, Decimal("1000.00"))
        amount = rng.choices(
            [share, (share / 2).quantize(Decimal("0.01")), Decimal("1000.00"), Decimal("2000.00")],
            [6, 2, 1, 1],
        )[0]
        fate = rng.choices(["fulfilled", "pledged", "withdrawn", "cancelled"], [80, 10, 5, 5])[0]
        at = within(ctx, max(opened, r.since), closed - timedelta(days=5))
        user = db.session.get(User, r.user_id)
        pledge_money(user, unit, str(amount), at, fate, rng.random() < 0.45)

    # Labour and materials from some residents.
    skills, weights = zip(*SKILL_WEIGHTS.items(), strict=True)
    helpers = rng.sample([r for r in people if r.user_id not in demo], 28)
    for n, r in enumerate(helpers):
        user, unit = db.session.get(User, r.user_id), units[r.label]
        at = within(ctx, max(opened, r.since), closed - timedelta(days=3))
        if n < 20:
            skill = rng.choices(skills, weights)[0]
            hours = str(rng.choice([2, 4, 6, 8, 10, 16, 20, 40]))
            fate = "pledged" if skill == "supervision" else rng.choices(
                ["fulfilled", "pledged", "withdrawn"], [75, 15, 10]
            )[0]  # fmt: skip

            def make(user=user, unit=unit, at=at, fate=fate, skill=skill, hours=hours):
                p, _ = services.make_pledge(
                    user, xfl, unit_id=unit.id, kind="labour", token=_token(rng), hours=hours,
                    skill=skill, honour=rng.random() < 0.45, now=at,
                )  # fmt: skip
                _fate(p, fate, at, user)

        else:
            item, qty, value = MATERIALS[n - 20]
            fate = "fulfilled" if n < 26 else "pledged"

            def make(user=user, unit=unit, at=at, fate=fate, item=item, qty=qty, value=value):
                p, _ = services.make_pledge(
                    user, xfl, unit_id=unit.id, kind="materials", token=_token(rng), item=item,
                    quantity=qty, value=value, honour=rng.random() < 0.45, now=at,
                )  # fmt: skip
                _fate(p, fate, at, user)

        later(at, make)

    # The demo residents' own pledges.
    owner, family = ctx.users["owner:XFL"], ctx.users["family:XFL"]
    tenant, elder = ctx.users["tenant:XFL"], ctx.users["elder:XFL"]
    first = opened + timedelta(days=2, hours=3)
    pledge_money(
        owner, units["3-2-502"], str(shares[units["3-2-502"].id]), first, "fulfilled", True
    )
    pledge_money(owner, units["5-1-301"], "1000.00", first + timedelta(days=20), "pledged", True)

    def elder_labour():
        at = opened + timedelta(days=6, hours=1)
        p, _ = services.make_pledge(
            elder, xfl, unit_id=units["2-1-101"].id, kind="labour", token=_token(rng),
            hours="12", skill="elderly_help", now=at,
        )  # fmt: skip
        _fate(p, "fulfilled", at, elder)

    def tenant_labour():
        at = opened + timedelta(days=9, hours=5)
        services.make_pledge(
            tenant, xfl, unit_id=units["5-1-301"].id, kind="labour", token=_token(rng),
            hours="40", skill="supervision", honour=True, now=at,
        )  # fmt: skip

    def family_paint():
        at = opened + timedelta(days=4, hours=8)
        p, _ = services.make_pledge(
            family, xfl, unit_id=units["3-2-502"].id, kind="materials", token=_token(rng),
            item="楼道墙面乳胶漆", quantity="3桶", value="450", now=at,
        )  # fmt: skip
        _fate(p, "fulfilled", at, family)

    later(opened + timedelta(days=6, hours=1), elder_labour)
    later(opened + timedelta(days=9, hours=5), tenant_labour)
    later(opened + timedelta(days=4, hours=8), family_paint)

    # Run in time order, so ids and the audit log follow the story. make_pledge audits itself;
    # dated by acting_at like the rest.
    while actions:
        actions.sort(key=lambda a: (a[0], a[1]))
        at, _n, fn = actions.pop(0)
        with acting_at(ctx, at):
            fn()
    db.session.flush()

    for days, amount, purpose, payee, ref, source in SPENDING:
        at = min(building + timedelta(days=days), ctx.now - timedelta(days=1))
        with acting_at(ctx, at):
            entry = services.add_spending(
                chair,
                xfl,
                spent_on=at.date(),
                amount=amount,
                purpose=purpose,
                payee=payee,
                reference=ref,
                source=source,
            )
        entry.created_at = at

    for key, state in saved.items():
        steps[key].state = state
    db.session.flush()


SEED_STEPS.append(seed_pledges)
