"""Step 5's demo, appended to participation.core.seed.SEED_STEPS after the build step.

幸福里 (XFL): the contractor reported four plan items finished two weeks ago (wall insulation,
the roof, stairwells, lighting: log entries at 100 %), the committee opened an acceptance rating
12 days ago that closes in 9 days, and 97 homes have rated (most satisfied, the lift area's
neighbours less so), some with comments; the committee posted three before/after photo pairs
(drawn with Pillow). 张伟民 (13800000011) has rated one of his two homes, so he sees a form to
change it and one to fill in.

For the city overview, eight lightweight communities in other districts at every step, each a
small register written with bulk inserts (a few hundred units in all), project steps, a closed
willingness vote with its sealed result and, for the two in step 5, a closed rating round with
ratings. Nothing here goes through per-row ORM work, so it adds little to the seed's time.
"""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

from PIL import Image, ImageDraw
from sqlalchemy import insert, select
from werkzeug.datastructures import FileStorage

from ..consult.models import Topic, TopicStatus
from ..consult.seed import acting_at
from ..core.models import (
    Building,
    Community,
    Entrance,
    Owner,
    Project,
    ProjectStep,
    StepState,
    Unit,
)
from ..core.seed import SEED_STEPS, XFL, SeedContext
from ..extensions import db
from ..voting.models import VoteElector
from . import photos, ratings
from .models import Rating, RatingItem, RatingRound, RatingScore

DONE_KEYS = ("外墙", "屋面", "楼道", "照明", "insulation", "roof", "stair", "light")

COMMENTS = (
    "楼道干净亮堂多了,谢谢施工队。",
    "外墙保温做得不错,冬天屋里暖和了。",
    "施工期间噪音有点大,但结果满意。",
    "屋顶不漏水了,好!",
    "希望绿化后面也跟上。",
    "晚上路灯亮了,老人出门放心。",
)


def _photo(colour: tuple[int, int, int], label: str, *, tidy: bool) -> FileStorage:
    image = Image.new("RGB", (480, 360), colour)
    draw = ImageDraw.Draw(image)
    if tidy:
        for x in range(0, 480, 60):
            draw.rectangle((x + 6, 120, x + 50, 300), fill=(236, 236, 228))
    else:
        for n in range(14):
            x, y = (n * 53) % 430, 140 + (n * 37) % 180
            draw.line((x, y, x + 60, y - 40), fill=(90, 80, 60), width=6)
    draw.text((12, 12), label, fill=(255, 255, 255))
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=70)
    buf.seek(0)
    return FileStorage(buf, filename=f"{label}.jpg", content_type="image/jpeg")


def _finish_items(ctx: SeedContext, comm: Community) -> None:
    """The contractor reports four plan items finished (100 %) 14–18 days ago."""
    from ..build.models import LogEntry
    from ..plan.public import adopted_plan

    plan = adopted_plan(comm.id)
    if plan is None:
        return
    contractor = ctx.users.get("contractor:XFL")
    done = [
        line
        for line in plan.lines
        if any(k in line.name or k in line.name.lower() for k in DONE_KEYS)
    ][:4] or list(plan.lines[:3])
    for n, line in enumerate(done):
        at = ctx.at(18 - n, 16)
        db.session.add(
            LogEntry(
                community_id=comm.id,
                author_id=getattr(contractor, "id", None),
                day=at.date(),
                item_name=line.name,
                plan_line_id=line.id,
                progress=100,
                body=f"{line.name}全部完工,已通过监理验收。",
                created_at=at,
            )
        )
    db.session.flush()


def seed_share(ctx: SeedContext) -> None:
    comm = ctx.communities[XFL]
    _finish_items(ctx, comm)
    committee = ctx.users["committee:XFL"]
    opened = ctx.at(12, 9)
    with acting_at(ctx, opened):
        round_ = ratings.open_round(committee, comm, ctx.now + timedelta(days=9), now=opened)
    items = list(round_.items)
    # Homes rate: the committee's and 张伟民's first home among them.
    units = ctx.units[XFL]
    rng = ctx.rng
    owner = ctx.users["owner:XFL"]
    first_home = ctx.unit_by_label[(XFL, "3-2-502")]
    rated_units = [u for u in units if u.id != ctx.unit_by_label[(XFL, "5-1-301")].id]
    rng.shuffle(rated_units)
    rated_units = [first_home] + [u for u in rated_units if u.id != first_home.id][:96]
    rating_rows, score_rows = [], []
    for n, unit in enumerate(rated_units):
        at = ctx.between(opened, ctx.now - timedelta(hours=2))
        mood = rng.choices([5, 4, 3, 2, 1], weights=[38, 36, 15, 7, 4])[0]
        rating_rows.append(
            {
                "round_id": round_.id,
                "unit_id": unit.id,
                "user_id": owner.id if unit.id == first_home.id else None,
                "overall": mood,
                "comment": COMMENTS[n % len(COMMENTS)] if n % 7 == 0 else "",
                "created_at": at,
                "updated_at": at,
                "changes": 0,
            }
        )
    db.session.execute(insert(Rating), rating_rows)
    ids = dict(
        db.session.execute(
            select(Rating.unit_id, Rating.id).where(Rating.round_id == round_.id)
        ).all()
    )
    for row in rating_rows:
        for item in items:
            score = max(1, min(5, row["overall"] + rng.choice([-1, 0, 0, 0, 1])))
            score_rows.append(
                {
                    "rating_id": ids[row["unit_id"]],
                    "item_id": item.id,
                    "score": score,
                    "comment": "",
                }
            )
    db.session.execute(insert(RatingScore), score_rows)
    # Before/after photos, posted by the committee.
    for n, (caption, before, after) in enumerate(
        (
            ("3号楼外墙", (120, 110, 100), (214, 200, 170)),
            ("2号楼楼道", (70, 66, 60), (200, 205, 210)),
            ("小区主路照明", (30, 30, 45), (90, 100, 140)),
        )
    ):
        with acting_at(ctx, ctx.at(10 - n, 15)):
            photos.add_pair(
                committee,
                comm,
                caption,
                _photo(before, "before", tidy=False),
                _photo(after, "after", tidy=True),
            )
    db.session.flush()
    _extra_communities(ctx)


# ---------------------------------------------------------------------------------------------
# Lightweight communities for the city overview

EXTRA = (
    # code, name, English name, district, buildings, step (1–5, 6 complete), turnout permille
    ("HPY", "和平苑", "Heping Garden", "海曙区", 3, 1, None),
    ("DFXC", "东方新村", "Dongfang New Village", "江北区", 5, 2, 812),
    ("YHL", "杨柳里", "Yangliu Lane", "海曙区", 4, 3, 776),
    ("GYXQ", "光源小区", "Guangyuan Estate", "镇海区", 6, 3, 703),
    ("CHJY", "春晖家园", "Chunhui Homes", "北仑区", 4, 4, 845),
    ("XHC", "新河村", "Xinhe Village", "鄞州区", 3, 5, 901),
    ("MYHY", "明月花园", "Mingyue Garden", "鄞州区", 5, 6, 868),
    ("TSL", "桃树里", "Taoshu Lane", "镇海区", 2, 0, None),
)
STEP_KEYS = ("consult", "plan", "pledge", "build", "share")


def _extra_communities(ctx: SeedContext) -> None:
    rng = ctx.rng
    for code, name, name_en, district, buildings, step, turnout in EXTRA:
        comm = Community(
            code=code, name=name, name_en=name_en, district=district, address=f"{district}{name}"
        )
        db.session.add(comm)
        db.session.flush()
        # Register: buildings × 2 entrances × 6 floors × 2 units; each unit its own owner.
        unit_rows = []
        for b in range(1, buildings + 1):
            bld = Building(community_id=comm.id, name=str(b), sort_key=f"{b:06d}")
            db.session.add(bld)
            db.session.flush()
            for e in (1, 2):
                ent = Entrance(building_id=bld.id, name=str(e), sort_key=f"{e:06d}")
                db.session.add(ent)
                db.session.flush()
                for floor in range(1, 7):
                    for pos in (1, 2):
                        unit_rows.append((ent.id, f"{floor}{pos:02d}"))
        db.session.execute(
            insert(Owner),
            [
                {"community_id": comm.id, "key": f"{code}-{n}", "name": "", "phone": ""}
                for n in range(len(unit_rows))
            ],
        )
        owner_ids = list(
            db.session.scalars(
                select(Owner.id).where(Owner.community_id == comm.id).order_by(Owner.id)
            )
        )
        base = Decimal(rng.choice(["56.40", "62.80", "71.20", "48.60"]))
        db.session.execute(
            insert(Unit),
            [
                {
                    "community_id": comm.id,
                    "entrance_id": ent_id,
                    "room": room,
                    "sort_key": room.zfill(6),
                    "area": base + Decimal(rng.randrange(0, 900)) / 100,
                    "owner_id": owner_ids[n],
                }
                for n, (ent_id, room) in enumerate(unit_rows)
            ],
        )
        # Project steps: done up to `step`, that one active (6: all done).
        project = Project(community_id=comm.id, title=f"{name}综合改造", created_at=ctx.at(400))
        db.session.add(project)
        db.session.flush()
        for position, key in enumerate(STEP_KEYS, start=1):
            state = (
                StepState.DONE
                if position < step or step == 6
                else StepState.ACTIVE
                if position == step
                else StepState.PENDING
            )
            started = ctx.at(360 - position * 60) if state != StepState.PENDING else None
            db.session.add(
                ProjectStep(
                    project_id=project.id,
                    key=key,
                    position=position,
                    state=state,
                    started_at=started,
                    finished_at=ctx.at(300 - position * 60) if state == StepState.DONE else None,
                )
            )
        if turnout:
            _closed_vote(ctx, comm, len(unit_rows), turnout)
        if step >= 3:
            _pledges(ctx, comm, rng, done=step >= 4)
        if step >= 5:
            _closed_rating(ctx, comm, rng)
        db.session.flush()


def _clerk(ctx: SeedContext, comm: Community):
    """The community worker who serves on its committee: enters paper ballots and pledges."""
    from ..core.models import Membership

    key = f"clerk:{comm.code}"
    if key not in ctx.users:
        clerk = ctx.users[key] = ctx.user(ctx.phone(), ctx.name(), ctx.at(380))
        db.session.flush()
        db.session.add(
            Membership(user_id=clerk.id, community_id=comm.id, role="committee", title="社区干部")
        )
        db.session.flush()
    return ctx.users[key]


def _closed_vote(ctx: SeedContext, comm: Community, owners: int, turnout: int) -> None:
    """The willingness vote, on paper as these communities held it: the worker entered each
    returned ballot through the voting engine (receipts, hash chain, the tally and seal at the
    close), so its result can be checked like any other."""
    from ..voting import services as voting

    clerk = _clerk(ctx, comm)
    topic = Topic(
        community_id=comm.id,
        title="小区综合改造意愿征询",
        body="是否同意对本小区实施老旧小区综合改造。",
        created_at=ctx.at(331),
        posted_at=ctx.at(330),
        notice_days=7,
        status=TopicStatus.POSTED,
    )
    db.session.add(topic)
    db.session.flush()
    opens, closes = ctx.at(320), ctx.at(306)
    with acting_at(ctx, ctx.at(322)):
        vote = voting.create_vote(
            clerk,
            topic,
            title="小区综合改造意愿表决",
            question="您是否同意本小区实施综合改造?",
            rule="ordinary",
            opens_at=opens,
            closes_at=closes,
        )
    vote.created_at = vote.updated_at = ctx.at(322)
    with acting_at(ctx, opens):
        voting.open_vote(clerk, vote, now=opens)
    electors = list(
        db.session.scalars(
            select(VoteElector.owner_id)
            .where(VoteElector.vote_id == vote.id)
            .order_by(VoteElector.owner_id)
        )
    )
    voted = sorted(ctx.rng.sample(electors, len(electors) * turnout // 1000))
    year = opens.year
    for n, owner_id in enumerate(voted, start=1):
        at = opens + (closes - opens) * n / (len(voted) + 1)
        with acting_at(ctx, at):
            voting.enter_paper_ballot(
                clerk,
                vote,
                "agree" if ctx.rng.random() < 0.9 else "disagree",
                f"{comm.code}-{year}-{n:03d}",
                owner_id=owner_id,
                now=at,
            )
    with acting_at(ctx, closes):
        voting.close_vote(None, vote, now=closes)


def _pledges(ctx: SeedContext, comm: Community, rng, *, done: bool) -> None:
    """Money pledges from about 60 % of the homes, entered by the community's committee member
    from the paper forms; received (confirmed) once pledging is over."""
    import secrets

    from ..pledge.models import Pledge

    clerk = _clerk(ctx, comm)
    unit_ids = list(db.session.scalars(select(Unit.id).where(Unit.community_id == comm.id)))
    rows = []
    for uid in rng.sample(unit_ids, k=len(unit_ids) * 3 // 5):
        amount = Decimal(rng.choice([500, 800, 800, 1000, 1200, 1500, 2000, 3000]))
        received = done and rng.random() < 0.9
        rows.append(
            {
                "community_id": comm.id,
                "unit_id": uid,
                "user_id": clerk.id,
                "token": secrets.token_hex(16),
                "kind": "money",
                "status": "fulfilled" if received else "pledged",
                "amount": amount,
                "honour": False,
                "created_at": ctx.at(150),
                "fulfilled_at": ctx.at(100) if received else None,
                "fulfilled_by_id": clerk.id if received else None,
                "confirmed_value": amount if received else None,
                "reference": "",
                "skill": "",
                "item": "",
                "quantity": "",
                "delivered": "",
                "cancel_reason": "",
            }
        )
    db.session.execute(insert(Pledge), rows)


def _closed_rating(ctx: SeedContext, comm: Community, rng) -> None:
    round_ = RatingRound(community_id=comm.id, opens_at=ctx.at(60), closes_at=ctx.at(40))
    db.session.add(round_)
    db.session.flush()
    names = (("外墙保温", "Wall insulation"), ("楼道整治", "Stairwells"), ("雨污分流", "Drainage"))
    for n, (zh, en) in enumerate(names, start=1):
        db.session.add(
            RatingItem(round_id=round_.id, position=n, category="basic", name_zh=zh, name_en=en)
        )
    unit_ids = list(db.session.scalars(select(Unit.id).where(Unit.community_id == comm.id)))
    chosen = rng.sample(unit_ids, k=len(unit_ids) * 2 // 3)
    at = ctx.at(50)
    db.session.execute(
        insert(Rating),
        [
            {
                "round_id": round_.id,
                "unit_id": uid,
                "overall": rng.choices([5, 4, 3, 2, 1], weights=[35, 40, 15, 6, 4])[0],
                "comment": "",
                "created_at": at,
                "updated_at": at,
                "changes": 0,
            }
            for uid in chosen
        ],
    )


SEED_STEPS.append(seed_share)
