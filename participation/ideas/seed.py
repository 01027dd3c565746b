"""Step 2's demo ideas (创意点亮城市角落), appended to participation.core.seed.SEED_STEPS.

幸福里 (XFL) collected ideas while it planned (212–141 days ago): a pocket garden on the empty
lot east of building 5, with photos, is the most supported and still open; a hand-washing sink
by the waste-sorting station was supported by many and the committee added it to the menu (its
author was told); 张伟民 (owner:XFL) asked for a rain cover over the parcel lockers, 刘洋
(tenant:XFL) for benches under the big tree, with a photo; 李秀英 (elder:XFL) for handrails at
the entrance steps. One idea named a neighbour and his phone number: reported by three
residents, hidden by the committee (personal data). One owner withdrew his idea to turn the
basketball court into parking after neighbours objected. 建设新村 (JSXC, in step 1) has two
fresh ideas with a few supports.

Photos are small JPEGs drawn with Pillow and stored through the same upload handling as a
resident's (re-encoded, metadata removed). Everything goes through the services at its moment
of the story (consult.seed's `acting_at`), with this step's own random generator so the other
steps' story does not change.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from PIL import Image, ImageDraw
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

# The menu, the survey, the plan and the votes come first (whatever order seed_demo imports the
# seed modules in): the idea promoted here becomes a menu item after the committee's own.
from ..consult.seed import acting_at, residents_of
from ..core.models import Building, User
from ..core.seed import JSXC, JSXC_TIMELINE, SEED_STEPS, XFL, XFL_TIMELINE, SeedContext
from ..extensions import db
from ..plan import seed as _plan_seed  # noqa: F401
from ..voting import seed as _voting_seed  # noqa: F401
from . import services
from .models import Idea

# --- pictures ---------------------------------------------------------------------------------

SKY, WALL, WINDOW, GROUND, GRASS, LEAF, TRUNK, METAL = (
    (168, 200, 228),
    (214, 196, 172),
    (120, 140, 160),
    (150, 144, 136),
    (112, 150, 84),
    (64, 120, 60),
    (110, 80, 50),
    (90, 96, 104),
)


def _scene(kind: str, seed: int) -> bytes:
    """A small JPEG of an estate corner (a wall with windows, the ground and what the idea is
    about), drawn so each demo photo looks a little different."""
    rng = random.Random(f"{kind}-{seed}")
    w, h = 640, 480
    image = Image.new("RGB", (w, h), SKY)
    draw = ImageDraw.Draw(image)
    for y in range(0, 200, 4):  # a hazy sky
        shade = 168 + y // 5
        draw.rectangle([0, y, w, y + 4], fill=(shade, min(shade + 30, 255), 228))
    left = rng.randint(-40, 120)
    draw.rectangle([left, 60, left + 360, 330], fill=WALL)
    for row in range(3):
        for col in range(4):
            x, y = left + 24 + col * 86, 84 + row * 78
            draw.rectangle([x, y, x + 50, y + 46], fill=WINDOW, outline=(240, 240, 240), width=3)
    draw.rectangle([0, 330, w, h], fill=GROUND)
    if kind == "garden":
        draw.rectangle([0, 360, w, h], fill=GRASS)
        for _ in range(9):
            x, y, r = rng.randint(20, 620), rng.randint(360, 460), rng.randint(14, 30)
            draw.ellipse([x - r, y - r, x + r, y + r], fill=LEAF)
            draw.ellipse([x - 5, y - 5, x + 5, y + 5], fill=(230, 90, 120))
    elif kind == "sink":
        draw.rectangle([430, 250, 610, 400], fill=(60, 120, 80))  # the sorting station
        for n, colour in enumerate([(40, 90, 170), (60, 140, 70), (200, 60, 50), (120, 120, 120)]):
            draw.rectangle([440 + n * 42, 300, 472 + n * 42, 392], fill=colour)
        draw.rectangle([360, 330, 410, 400], fill=(220, 220, 224))
    elif kind == "bench":
        draw.rectangle([470, 220, 500, 400], fill=TRUNK)
        draw.ellipse([390, 110, 590, 280], fill=LEAF)
        draw.rectangle([380, 390, 470, 402], fill=(150, 150, 150))
    elif kind == "lockers":
        draw.rectangle([400, 230, 620, 410], fill=(40, 110, 170))
        for row in range(4):
            draw.line([400, 260 + row * 36, 620, 260 + row * 36], fill=(230, 230, 230), width=2)
    elif kind == "steps":
        for n in range(4):
            draw.rectangle(
                [150 - n * 14, 330 + n * 20, 330 + n * 14, 350 + n * 20], fill=(180, 176, 170)
            )
        draw.rectangle([200, 200, 280, 330], fill=(90, 60, 40))  # the door
    elif kind == "hedge":
        for x in range(30, 620, 46):
            draw.ellipse([x - 28, 310, x + 28, 380], fill=LEAF)
        draw.rectangle([480, 240, 620, 330], fill=(150, 150, 140))  # the refuse room
    out = io.BytesIO()
    image.save(out, "JPEG", quality=78)
    return out.getvalue()


def _photos(kind: str, n: int) -> list[FileStorage]:
    return [
        FileStorage(stream=io.BytesIO(_scene(kind, i)), filename=f"IMG_20{i:02d}.jpg")
        for i in range(n)
    ]


# --- the story --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoIdea:
    author: str  # a DemoLogin key, or a kind of resident ("owner", "family", "tenant")
    days_ago: float
    title: str
    body: str
    building: str | None = None
    place: str = ""
    photos: tuple[str, int] | None = None  # (scene, how many)
    supports: int = 0  # over the following weeks
    supporters: tuple[str, ...] = ()  # demo accounts among them
    reports: tuple[str, ...] = ()
    hide: tuple[str, str] | None = None  # (reason code, text), a day after posting
    withdraw_after: float | None = None  # days
    promote: dict | None = field(default=None)  # menu item values, after ~3 weeks


PLAN = XFL_TIMELINE["plan"][0]

XFL_IDEAS = (
    DemoIdea(
        "owner",
        PLAN - 4,
        "5幢东侧空地改成口袋花园",
        "5幢东山墙下的空地常年堆着旧家具和建筑垃圾，夏天蚊子多。建议清理干净，"
        "种上好养的花草，铺一条小路，放两张长椅，老人孩子都能坐坐。\n"
        "愿意参加义务劳动的邻居可以在下面支持。",
        building="5",
        place="东山墙下的空地",
        photos=("garden", 2),
        supports=46,
        supporters=("family:XFL", "elder:XFL", "tenant:XFL"),
    ),
    DemoIdea(
        "family",
        PLAN - 6,
        "垃圾分类亭旁边装一个洗手池",
        "每天早上扔完垃圾手上脏，得一路拿回家洗。建议在分类亭旁边装个洗手池，"
        "水龙头用脚踩或按压式的，冬天注意防冻。",
        place="北门垃圾分类亭",
        photos=("sink", 1),
        supports=31,
        supporters=("owner:XFL", "elder:XFL"),
        promote={
            "category": "improvement",
            "name_zh": "垃圾分类亭洗手池",
            "name_en": "A hand-washing sink at the waste-sorting station",
            "description_zh": "在北门垃圾分类亭旁安装按压式洗手池（含防冻保温），扔完垃圾就近洗手。",
            "description_en": "A push-tap sink (frost-protected) by the north-gate sorting "
            "station: wash your hands right after sorting the rubbish.",
            "cost_basis": "total",
            "cost_amount": "8500.00",
            "residents_share": False,
        },
    ),
    DemoIdea(
        "owner:XFL",
        PLAN - 9,
        "快递柜加一个遮雨棚",
        "下雨天取快递，人和包裹都淋湿，快递柜屏幕也经常进水失灵。建议在快递柜上方加一个透明雨棚。",
        place="南门快递柜",
        supports=15,
        supporters=("family:XFL",),
    ),
    DemoIdea(
        "tenant:XFL",
        PLAN - 12,
        "大槐树下放几张石凳",
        "2幢和3幢之间那棵大槐树下很阴凉，下午老人都自己带小板凳去坐。放几张石凳或木椅，"
        "再装一个路灯，晚上也能坐着聊天。",
        building="2",
        place="2幢和3幢之间的大槐树下",
        photos=("bench", 1),
        supports=9,
        supporters=("elder:XFL",),
    ),
    DemoIdea(
        "elder:XFL",
        PLAN - 15,
        "单元门口的台阶装上扶手",
        "2幢1单元门口有四级台阶，没有扶手，下雨下雪很滑，我们老年人进出要扶着墙。"
        "请在台阶两边装上扶手。",
        building="2",
        place="1单元门口台阶",
        photos=("steps", 1),
        supports=22,
        supporters=("owner:XFL", "family:XFL"),
    ),
    DemoIdea(
        "owner",
        PLAN - 18,
        "4幢某住户私搭乱建必须拆除",
        "4幢1单元102的赵某在楼下私自搭了个棚子堆杂物，挡了消防通道，大家去找他：电话13912345678。",
        building="4",
        supports=3,
        reports=("owner", "family", "tenant"),
        hide=(
            "personal_data",
            "请不要公开邻居的姓名和电话。违建问题已转物业和街道处理。",
        ),
    ),
    DemoIdea(
        "owner",
        PLAN - 21,
        "篮球场改成停车位",
        "小区停车太难了，篮球场平时没几个人用，建议改成停车位，能多出十几个车位。",
        place="小区中间的篮球场",
        supports=4,
        withdraw_after=3,
    ),
)

JSXC_START = JSXC_TIMELINE["consult"][0]
JSXC_IDEAS = (
    DemoIdea(
        "owner:JSXC",
        JSXC_START - 4,
        "垃圾房旁边种一排冬青挡挡味道",
        "夏天垃圾房的味道飘到1幢窗户里。建议在垃圾房和楼之间种一排冬青，再把垃圾房的门修好关严。",
        building="1",
        place="垃圾房和1幢之间",
        photos=("hedge", 1),
        supports=6,
    ),
    DemoIdea(
        "tenant",
        JSXC_START - 7,
        "2幢和3幢之间的空地装几个晾衣架",
        "楼里晒不下被子，大家都晒在树上和电线上，很不安全。希望在空地上装几个结实的晾衣架。",
        place="2幢和3幢之间的空地",
        supports=3,
    ),
)


def _moment(rng: random.Random, ctx: SeedContext, days_ago: float) -> datetime:
    return ctx.at(days_ago, rng.randint(8, 20), rng.randint(0, 59))


def _seed_community(ctx: SeedContext, code: str, script: tuple[DemoIdea, ...]) -> list[Idea]:
    rng = random.Random(f"ideas-{code}")  # its own, so the other steps' story is unchanged
    comm = ctx.communities[code]
    committee = ctx.users[f"committee:{code}"]
    people = residents_of(ctx, code)
    demo = {user.id for user in ctx.users.values()}
    buildings = {
        b.name: b.id
        for b in db.session.scalars(select(Building).where(Building.community_id == comm.id))
    }
    used: set[int] = set()

    def resident(kind: str, at: datetime, exclude: set[int]) -> User:
        if kind in ctx.users:
            return ctx.users[kind]
        pool = [
            r
            for r in people
            if r.relation == kind and r.since <= at and r.user_id not in demo | exclude | used
        ]
        chosen = rng.choice(pool)
        used.add(chosen.user_id)
        return db.session.get(User, chosen.user_id)

    made: list[Idea] = []
    for spec in script:
        at = _moment(rng, ctx, spec.days_ago)
        author = resident(spec.author, at, set())
        with acting_at(ctx, at):
            idea = services.create_idea(
                author,
                comm,
                spec.title,
                spec.body,
                building=buildings.get(spec.building or ""),
                place=spec.place,
                photos=_photos(*spec.photos) if spec.photos else None,
                now=at,
            )
        made.append(idea)
        # Supporters: the demo accounts named, then residents linked by then, over ~3 weeks.
        named = [ctx.users[k] for k in spec.supporters]
        others = [
            r.user_id
            for r in people
            if r.user_id not in demo and r.user_id != author.id and r.since <= at
        ]
        rng.shuffle(others)
        crowd = named + [db.session.get(User, uid) for uid in others]
        last = at
        for n, user in enumerate(crowd[: max(spec.supports, len(named))]):
            when = min(
                at + timedelta(hours=2 + (n**1.3) * 4 + rng.randint(0, 5)),
                ctx.now - timedelta(minutes=3),
            )
            services.support(user, idea, now=when)
            last = max(last, when)
        for kind in spec.reports:
            when = at + timedelta(hours=rng.randint(1, 10))
            reporter = resident(kind, when, {author.id})
            with acting_at(ctx, when):
                services.report_idea(reporter, idea, "有人的姓名和电话", now=when)
        if spec.hide:
            when = at + timedelta(hours=20)
            with acting_at(ctx, when):
                services.hide_idea(committee, idea, *spec.hide, now=when)
        if spec.withdraw_after is not None:
            when = at + timedelta(days=spec.withdraw_after)
            with acting_at(ctx, when):
                services.withdraw_idea(author, idea, now=when)
        if spec.promote:
            when = max(last, at + timedelta(days=20)) + timedelta(hours=2)
            with acting_at(ctx, when):
                services.promote_idea(committee, idea, now=when, **spec.promote)
    db.session.flush()
    return made


def seed_ideas(ctx: SeedContext) -> None:
    # The shared generator decides when inbox messages were read (ctx.maybe_read); restored
    # afterwards, so the steps after this one tell the same story with or without it.
    state = ctx.rng.getstate()
    _seed_community(ctx, XFL, XFL_IDEAS)
    _seed_community(ctx, JSXC, JSXC_IDEAS)
    ctx.rng.setstate(state)


SEED_STEPS.append(seed_ideas)
