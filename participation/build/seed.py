"""Step 4's demo, appended to participation.core.seed.SEED_STEPS after the earlier steps.

幸福里 (XFL) has had the builders on site for eleven weeks. Its residents reported what they met:
stacked materials in a stairwell (overdue, two neighbours said "me too", and a duplicate the
committee merged into it), a loose scaffold board (an emergency, being fixed), night noise (fixed,
waiting for the reporter to confirm), a leak inside a flat (private photos; fixed, reopened, late
again), a blocked fire lane, dust, an unannounced water cut and more that were fixed and
confirmed or closed by themselves, and one the committee rejected (a neighbour's own refit, not
the works). The property manager (13800000003) answers the common parts and utilities, the
contractor's site manager (13800000004) the works; both act on what is open. The contractor
keeps the construction log with photos and progress, and has announced night work and a power
cut for the coming days.

Everything goes through the services at its moment of the story (acting_at), and the deadline
job runs before each action as cron would, so escalations and automatic closing happen when
they would have. Photos are small JPEGs drawn with Pillow.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from PIL import Image, ImageDraw
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from ..consult.seed import acting_at
from ..core.models import Entrance, Residency, ResidencyStatus
from ..core.seed import CST, SEED_STEPS, XFL, XFL_TIMELINE, SeedContext
from ..extensions import db
from . import log, services
from .models import Issue, PartyMember

# --- photos ---------------------------------------------------------------------------------

SCENES = {
    # (sky/wall, ground, objects): a few shapes a phone photo of the site might show
    "materials": ((196, 190, 178), (120, 116, 108), [(150, 60, 40), (170, 80, 50), (90, 90, 90)]),
    "scaffold": ((170, 200, 225), (110, 110, 100), [(40, 90, 160), (200, 160, 40)]),
    "leak": ((235, 232, 220), (200, 196, 184), [(120, 110, 90), (150, 140, 120)]),
    "road": ((180, 205, 225), (80, 80, 80), [(230, 120, 30), (240, 240, 240)]),
    "wall": ((210, 200, 185), (140, 130, 115), [(230, 230, 225), (100, 150, 110)]),
}


def photo(ctx: SeedContext, scene: str, name: str = "IMG.jpg") -> FileStorage:
    sky, ground, colours = SCENES[scene]
    rng = ctx.rng
    img = Image.new("RGB", (960, 720), sky)
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, 470, 960, 720), fill=ground)
    if scene == "scaffold":
        for x in range(80, 900, 120):
            draw.rectangle((x, 60, x + 10, 600), fill=colours[0])
        for y in range(120, 600, 110):
            draw.rectangle((60, y, 920, y + 12), fill=colours[1])
    elif scene == "leak":
        draw.polygon([(420, 0), (520, 0), (560, 420), (380, 460)], fill=colours[0])
        draw.line([(300, 100), (360, 300), (330, 460)], fill=(60, 50, 40), width=5)
    else:
        for _ in range(18):
            x, y = rng.randrange(60, 820), rng.randrange(330, 560)
            w, h = rng.randrange(60, 180), rng.randrange(25, 90)
            draw.rectangle((x, y, x + w, y + h), fill=rng.choice(colours))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=80)
    return FileStorage(io.BytesIO(out.getvalue()), filename=name)


# --- the story ------------------------------------------------------------------------------


@dataclass
class Story:
    days_ago: float
    hour: int
    reporter: str  # a ctx.users key, or "" for a resident chosen at random
    category: str
    description: str
    place: str = ""  # "3-2": building 3, entrance 2; "3": building 3
    urgency: str = "normal"
    spot: str = ""
    floor: str = ""
    scene: str = ""
    photos: int = 0
    private: bool = False
    # (hours after the report, action, actor key, text) in order
    steps: list[tuple[float, str, str, str]] = field(default_factory=list)
    me_too: int = 0
    key: str = ""
    hours_ago: float | None = None  # recent reports: exactly this long before now


def stories() -> list[Story]:
    return [
        Story(
            31,
            8,
            "",
            "utility",
            "早上起来没水了，没看到停水通知，家里老人要做饭。",
            "2",
            urgency="emergency",
            spot="2幢全楼",
            steps=[
                (0.5, "acknowledge", "property:XFL", "已联系施工方，正在查原因"),
                (
                    3,
                    "resolve",
                    "property:XFL",
                    "施工挖断入户支管，已抢修恢复供水。已要求施工方今后停水必须提前公告。",
                ),
                (6, "confirm", "@", ""),
            ],
        ),
        Story(
            26,
            15,
            "",
            "access",
            "6幢门口沟槽开挖后没有铺钢板，电动车推不过去。",
            "6",
            spot="6幢1单元门口",
            scene="road",
            photos=1,
            steps=[
                (4, "acknowledge", "contractor:XFL", ""),
                (20, "resolve", "contractor:XFL", "已铺设钢板并设置临时通道和夜间警示灯。"),
            ],
        ),
        Story(
            20,
            10,
            "",
            "dust",
            "切割外墙保温板粉尘很大，晾在外面的衣服全是灰。",
            "4",
            spot="4幢南侧",
            photos=1,
            scene="wall",
            steps=[
                (2, "acknowledge", "contractor:XFL", ""),
                (30, "resolve", "contractor:XFL", "切割改在围挡内进行并洒水降尘，已加装防尘网。"),
                (50, "confirm", "@", ""),
            ],
        ),
        Story(
            16,
            19,
            "",
            "other",
            "楼上邻居装修电钻声，每天中午都在打。",
            "1-2",
            steps=[
                (
                    20,
                    "reject",
                    "committee:XFL",
                    "这是住户自行装修，不属于改造工程。业委会已转告物业按装修管理规定提醒该户。",
                )
            ],
        ),
        Story(
            12,
            9,
            "",
            "damage",
            "外墙施工后我家北卧室墙角渗水，墙皮起鼓。",
            "4-2",
            floor="5",
            spot="北卧室",
            scene="leak",
            photos=2,
            private=True,
            steps=[
                (3, "acknowledge", "contractor:XFL", "明天上午上门查看"),
                (26, "start", "contractor:XFL", "已查明是外墙打孔处未封堵"),
                (
                    70,
                    "resolve",
                    "contractor:XFL",
                    "已从外侧重新封堵打孔并做防水，室内墙面待干透后修补。",
                ),
                (95, "reopen", "@", "昨晚下雨后墙角又湿了一片。"),
                (100, "start", "contractor:XFL", "安排防水班组复查"),
            ],
            key="leak",
        ),
        Story(
            9,
            14,
            "",
            "quality",
            "3幢楼道新装的扶手有一段松动，老人扶着会晃。",
            "3-1",
            spot="2楼到3楼之间",
            photos=1,
            scene="wall",
            steps=[
                (1, "acknowledge", "contractor:XFL", ""),
                (26, "resolve", "contractor:XFL", "扶手已重新打膨胀螺栓固定，逐段检查了整个楼道。"),
                (60, "reopen", "@", "3楼到4楼那段也松了，上次没修到。"),
            ],
        ),
        Story(
            3,
            21,
            "elder:XFL",
            "noise",
            "晚上九点多还在用电锤，睡不着觉。",
            "2-1",
            spot="2幢东侧外墙",
            steps=[
                (11, "acknowledge", "contractor:XFL", ""),
                (
                    36,
                    "resolve",
                    "contractor:XFL",
                    "已核实是班组赶工，已要求晚上8点后停止噪声作业，项目经理已批评教育。",
                ),
            ],
        ),
        Story(
            1.6,
            18,
            "owner:XFL",
            "materials",
            "楼道口堆了水泥和拆下来的旧窗框，推婴儿车和轮椅过不去。",
            "3-2",
            spot="3幢2单元楼道口",
            scene="materials",
            photos=2,
            me_too=2,
            key="pile",
            hours_ago=38,
        ),
        Story(
            1.2,
            9,
            "",
            "materials",
            "3幢2单元门口的建筑垃圾好几天没清了。",
            "3-2",
            spot="单元门口",
            photos=1,
            scene="materials",
            hours_ago=27,
            steps=[(5, "merge", "committee:XFL", "pile")],
        ),
        Story(
            2.2,
            10,
            "",
            "quality",
            "6幢顶楼屋面防水做完后下雨楼梯间顶上还在滴水。",
            "6-2",
            floor="6",
            spot="顶层楼梯间",
            photos=1,
            scene="leak",
            steps=[(5, "acknowledge", "contractor:XFL", "已安排防水班组明天复查")],
        ),
        Story(
            0.25,
            0,
            "tenant:XFL",
            "safety",
            "5幢脚手架上有块踏板松了，风一吹就响，下面是小孩放学的路。",
            "5-1",
            urgency="emergency",
            spot="5幢1单元门口上方",
            scene="scaffold",
            photos=1,
            me_too=1,
            hours_ago=6,
            steps=[
                (0.6, "acknowledge", "contractor:XFL", "安全员马上到场"),
                (1.2, "start", "contractor:XFL", "已拉警戒线，下面暂时封闭通行"),
            ],
        ),
        Story(
            0,
            0,
            "",
            "schedule",
            "1幢外墙脚手架搭了一个多月不见施工，窗户一直打不开通风。",
            "1",
            spot="1幢南面",
            hours_ago=30,
        ),
        Story(
            0,
            0,
            "family:XFL",
            "dust",
            "3幢门口切割地砖，灰尘大，老人小孩进出都要捂着鼻子。",
            "3-2",
            spot="3幢2单元门口",
            hours_ago=4,
        ),
    ]


# A few older reports, fixed and confirmed, so the figures have a history.
ROUTINE = [
    ("dust", "道路破碎扬尘大，希望多洒水。", "contractor:XFL"),
    ("materials", "绿化带里堆了拆下来的旧管子。", "contractor:XFL"),
    ("noise", "早上六点半就开始卸钢管，太吵了。", "contractor:XFL"),
    ("access", "小区北门施工围挡占了人行道，晚上没灯。", "contractor:XFL"),
    ("utility", "楼道灯改造后一直不亮。", "property:XFL"),
    ("other", "快递柜前的地面施工后坑坑洼洼。", "property:XFL"),
    ("materials", "5幢后面废弃的保温板被风吹得到处都是。", "contractor:XFL"),
    ("quality", "新换的雨水管接口漏水，下雨时流到墙上。", "contractor:XFL"),
]


def _residents(ctx: SeedContext, comm_id: int, at: datetime) -> list[tuple[int, int]]:
    """(user id, unit id) of residents whose link counted at `at`."""
    users = {
        uid
        for uid, since, until in ctx.readers.get(XFL, [])
        if since <= at and (until is None or until > at)
    }
    rows = db.session.execute(
        select(Residency.user_id, Residency.unit_id).where(
            Residency.community_id == comm_id, Residency.status == ResidencyStatus.ACTIVE
        )
    ).all()
    return sorted((u, unit) for u, unit in rows if u in users)


def _place(comm_id: int, place: str) -> tuple[int | None, int | None]:
    if not place:
        return None, None
    from ..core.models import Building

    parts = place.split("-")
    building = db.session.scalar(
        select(Building).where(Building.community_id == comm_id, Building.name == parts[0])
    )
    if building is None:
        return None, None
    entrance = None
    if len(parts) > 1:
        entrance = db.session.scalar(
            select(Entrance).where(Entrance.building_id == building.id, Entrance.name == parts[1])
        )
    return building.id, entrance.id if entrance else None


def seed_build(ctx: SeedContext) -> None:
    comm = ctx.communities.get(XFL)
    if comm is None or "contractor:XFL" not in ctx.users:
        return
    users = ctx.users
    contractor = users["contractor:XFL"]
    db.session.add(PartyMember(community_id=comm.id, user_id=contractor.id, party="contractor"))
    db.session.flush()
    start = ctx.at(XFL_TIMELINE["build"][0], 9)
    actions: list[tuple[datetime, int, Callable[[datetime], Any]]] = []
    issues: dict[str, Issue] = {}

    def add(at: datetime, fn: Callable[[datetime], Any]) -> None:
        actions.append((min(at, ctx.now - timedelta(minutes=2)), len(actions), fn))

    def pick_reporter(at: datetime, taken: set[int]) -> Any:
        pool = [uid for uid, _unit in _residents(ctx, comm.id, at) if uid not in taken]
        from ..core.models import User

        return db.session.get(User, ctx.rng.choice(pool)) if pool else users["owner:XFL"]

    def plan_story(story: Story) -> None:
        at = (
            ctx.now - timedelta(hours=story.hours_ago)
            if story.hours_ago is not None
            else ctx.at(story.days_ago, story.hour)
        )
        holder: dict[str, Any] = {}

        def do_report(now: datetime) -> None:
            reporter = users[story.reporter] if story.reporter else pick_reporter(now, set())
            bid, eid = _place(comm.id, story.place)
            scene = story.scene or "materials"
            issue = services.report(
                reporter,
                comm,
                category=story.category,
                urgency=story.urgency,
                description=story.description,
                building_id=bid,
                entrance_id=eid,
                floor=story.floor,
                spot=story.spot,
                private=story.private,
                photos=[photo(ctx, scene, f"IMG_{i}.jpg") for i in range(story.photos)],
                now=now,
            )
            holder["issue"] = issue
            if story.key:
                issues[story.key] = issue

        add(at, do_report)
        for n in range(story.me_too):

            def do_me_too(now: datetime) -> None:
                issue = holder["issue"]
                voter = pick_reporter(now, {issue.reporter_id})
                services.me_too(voter, issue, now=now)

            add(at + timedelta(hours=2 + 5 * n), do_me_too)
        for hours, action, actor_key, text in story.steps:

            def do_step(now: datetime, action=action, actor_key=actor_key, text=text) -> None:
                issue = holder["issue"]
                actor = issue.reporter if actor_key == "@" else users[actor_key]
                if action == "acknowledge":
                    services.acknowledge(actor, issue, text, now=now)
                elif action == "start":
                    services.start(actor, issue, text, now=now)
                elif action == "resolve":
                    after = photo(ctx, "wall", "after.jpg") if story.photos else None
                    services.resolve(actor, issue, text, after, now=now)
                elif action == "confirm":
                    services.confirm(actor, issue, now=now)
                elif action == "reopen":
                    services.reopen(actor, issue, text, now=now)
                elif action == "reject":
                    services.reject(actor, issue, text, now=now)
                elif action == "merge":
                    services.merge(actor, issue, issues[text].id, now=now)

            add(at + timedelta(hours=hours), do_step)

    for story in stories():
        plan_story(story)
    # Routine reports over the weeks of works: answered within hours, fixed within days.
    for n in range(24):
        category, text, party = ROUTINE[n % len(ROUTINE)]
        days = ctx.rng.uniform(12, XFL_TIMELINE["build"][0] - 3)
        ack_h = ctx.rng.choice([0.5, 1, 2, 3, 5, 8, 20, 30])
        fix_h = ack_h + ctx.rng.choice([4, 10, 24, 48, 96, 150, 200])
        confirm = ctx.rng.random() < 0.7
        steps = [(ack_h, "acknowledge", party, ""), (fix_h, "resolve", party, "已处理完毕。")]
        if confirm:
            steps.append((fix_h + ctx.rng.choice([3, 10, 30]), "confirm", "@", ""))
        plan_story(
            Story(
                days,
                ctx.rng.randint(8, 20),
                "",
                category,
                text,
                str(ctx.rng.randint(1, 6)),
                steps=steps,
            )
        )

    actions.sort(key=lambda a: (a[0], a[1]))
    for at, _n, fn in actions:
        with acting_at(ctx, at):
            services.process_deadlines(at)  # cron ran in the meantime
            fn(at)
        db.session.flush()
    with acting_at(ctx, ctx.now - timedelta(minutes=1)):
        services.process_deadlines(ctx.now - timedelta(minutes=1))
    _seed_log(ctx, comm, start)


LOG_TEXT = [
    ("雨污分流", "完成%s幢北侧污水管开挖及管道铺设约40米，沟槽已回填。"),
    ("外墙保温", "%s幢北立面保温板粘贴完成，锚栓安装中。"),
    ("屋面防水", "%s幢屋面旧防水层铲除完毕，基层清理。"),
    ("楼道改造", "%s幢楼道墙面铲除、找平，扶手预埋件安装。"),
    ("道路及停车位改造", "小区主路%s段沥青摊铺完成，交通已恢复。"),
    ("电动自行车充电棚", "充电棚基础浇筑完成（%s号位置），养护中。"),
]


def _seed_log(ctx: SeedContext, comm: Any, start: datetime) -> None:
    contractor = ctx.users["contractor:XFL"]
    items = log.plan_items(comm.id)
    by_name = {name: line_id for line_id, name in items}
    progress: dict[str, int] = {}
    for n in range(16):
        day_at = start + timedelta(days=4 + n * 4.5)
        if day_at > ctx.now - timedelta(hours=6):
            break
        label, text = LOG_TEXT[n % len(LOG_TEXT)]
        progress[label] = min(progress.get(label, 0) + ctx.rng.choice([10, 15, 20, 25]), 100)
        local = day_at.astimezone(CST).replace(hour=18, minute=30)
        line_id = next((i for name, i in by_name.items() if label[:2] in name), None)
        with acting_at(ctx, local):
            log.add_entry(
                contractor,
                comm,
                day=local.date(),
                item=label,
                plan_line_id=line_id,
                progress=progress[label],
                body=text % ctx.rng.randint(1, 6),
                photos=[
                    photo(ctx, ctx.rng.choice(["wall", "road", "scaffold"])) for _ in range(n % 3)
                ],
                now=local,
            )
    # Notices of the coming days (the water cut is on the board already, from the core seed).
    posted = ctx.now - timedelta(hours=3)
    local_now = ctx.now.astimezone(CST)
    night_start = (local_now + timedelta(days=3)).replace(
        hour=23, minute=0, second=0, microsecond=0
    )
    power_start = (local_now + timedelta(days=5)).replace(hour=9, minute=0, second=0, microsecond=0)
    with acting_at(ctx, posted):
        log.post_advance_notice(
            contractor,
            comm,
            kind="night_work",
            starts_at=night_start,
            ends_at=night_start + timedelta(hours=5),
            area="小区主路（2幢至4幢段）",
            details="主路中段沥青摊铺须一次连续完成，届时2–4幢门前禁止停车，请将车辆提前移至北侧停车场。",
            reason="沥青摊铺须连续作业、避开白天通行高峰，已报街道办备案。",
            now=posted,
        )
        log.post_advance_notice(
            contractor,
            comm,
            kind="power_cut",
            starts_at=power_start,
            ends_at=power_start + timedelta(hours=4),
            area="5幢、6幢",
            details="配电箱迁改，停电期间电梯、楼道灯停用。请提前给冰箱、电动车充电做好准备。",
            now=posted,
        )


SEED_STEPS.append(seed_build)
