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
