"""Step 1's demo topics and discussion, appended to participation.core.seed.SEED_STEPS.

幸福里 (XFL) finished step 1 months ago: its willingness topic was posted when the consultation
opened and discussed for weeks (questions on cost, lifts, parking, the elderly, answered by the
committee and the property company; one comment hidden for showing a neighbour's phone number,
one reported and left up), a lift topic for entrance 3-2 and a parking topic followed. 建设新村
(JSXC) opened step 1 fourteen days ago: its willingness topic has a few comments, a second topic
is still in its notice period and the committee has a draft. The votes on these topics are
seeded by participation.voting.seed, which runs after this step.

Everything goes through the consult services with explicit `now` values on the timeline.
`acting_at` dates what the services write as a side effect with the real clock (audit entries,
inbox messages, notices), so the demo reads as if it had happened then.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import func, select, update

from ..core import audit, notify
from ..core.models import (
    Building,
    Community,
    Entrance,
    Membership,
    Notice,
    Relation,
    Residency,
    ResidencyStatus,
    Unit,
    User,
)
from ..core.seed import JSXC, SEED_STEPS, XFL, XFL_TIMELINE, SeedContext
from ..core.timeutil import aware
from ..extensions import db
from . import services
from .models import Comment, Topic

# Titles the voting seed finds the topics by.
XFL_WILLINGNESS = "关于幸福里小区老旧小区改造意愿征询的议题"
XFL_LIFT = "关于3幢2单元加装电梯的议题"
XFL_PARKING = "关于小区停车位改造方案的意见征集"
JSXC_WILLINGNESS = "关于建设新村老旧小区改造意愿征询的议题"
JSXC_CHARGING = "关于在2幢与3幢之间建设电动自行车集中充电棚的议题"
JSXC_DRAFT = "关于成立建设新村改造居民监督小组的议题"


# ---------------------------------------------------------------------------------------------
# Calling services at a moment of the story


def linked_at(ctx: SeedContext, community_id: int | None, at: datetime) -> set[int]:
    """The accounts that could read the community at `at`: its staff and the residents whose
    link counted then (as seed_notices decides who got a notice)."""
    code = next((c for c, comm in ctx.communities.items() if comm.id == community_id), None)
    staff = {
        uid
        for uid, since in db.session.execute(
            select(Membership.user_id, Membership.created_at).where(
                Membership.community_id == community_id
            )
        )
        if aware(since) <= at
    }
    readers = {
        uid
        for uid, since, until in ctx.readers.get(code or "", [])
        if since <= at and (until is None or until > at)
    }
    return staff | readers


@contextmanager
def acting_at(ctx: SeedContext, at: datetime) -> Iterator[None]:
    """Run service calls as though at `at`. The services take `now` for what they decide, but
    stamp their side effects with the real clock and write them at once. Inside this block:
    audit entries are dated `at` and queued (the seed writes the log in time order at the end),
    inbox messages go only to the accounts linked at `at` and are dated `at`, and notices the
    services post are dated `at`."""
    real_record, real_send = audit.record, notify.send
    last_notice = db.session.scalar(select(func.max(Notice.id))) or 0
    demo_ids = {user.id for user in ctx.users.values()}

    def record(actor: Any, action: str, **kwargs: Any) -> Any:
        entry = real_record(actor, action, **kwargs)
        ctx.adopt_audit(at)
        return entry

    def send(
        user_ids: Any,
        title: str,
        body: str = "",
        link: str = "",
        community_id: int | None = None,
        params: dict | None = None,
    ) -> int:
        recipients = sorted(set(user_ids) & linked_at(ctx, community_id, at))
        for uid in recipients:
            # The demo residents find this week's messages unread, as with the notices.
            recent = uid in demo_ids and ctx.now - at < timedelta(days=7)
            ctx.message(
                uid,
                title,
                at,
                community_id=community_id,
                body=body,
                link=link,
                params=params,
                read_at=None if recent else ctx.maybe_read(at),
            )
        return len(recipients)

    audit.record, notify.send = record, send
    try:
        yield
    finally:
        audit.record, notify.send = real_record, real_send
    db.session.execute(
        update(Notice).where(Notice.id > last_notice).values(created_at=at),
        execution_options={"synchronize_session": "fetch"},
    )


class Timeline:
    """Actions gathered while planning, then run in time order, each inside acting_at its
    moment: what the services write then follows the clock (ids, the ballot log)."""

    def __init__(self, ctx: SeedContext) -> None:
        self.ctx = ctx
        self.actions: list[tuple[datetime, int, Callable[[], object]]] = []

    def add(self, at: datetime, fn: Callable[[], object]) -> None:
        self.actions.append((at, len(self.actions), fn))

    def run(self) -> None:
        for at, _n, fn in sorted(self.actions, key=lambda a: (a[0], a[1])):
            with acting_at(self.ctx, at):
                fn()
        self.actions.clear()


# ---------------------------------------------------------------------------------------------
# Who says what


@dataclass(frozen=True)
class Resident:
    """An account linked to a home today, with when its link started to count."""

    user_id: int
    relation: str
    label: str  # building-entrance-room
    floor: int
    owner_id: int
    since: datetime


def residents_of(ctx: SeedContext, code: str) -> list[Resident]:
    """Every active link of the community (one row per link), in a stable order."""
    comm = ctx.communities[code]
    since: dict[int, datetime] = {}
    for uid, start, until in ctx.readers.get(code, []):
        if until is None:
            since[uid] = min(start, since.get(uid, start))
    rows = db.session.execute(
        select(
            Residency.user_id,
            Residency.relation,
            Building.name,
            Entrance.name,
            Unit.room,
            Unit.owner_id,
        )
        .join(Unit, Unit.id == Residency.unit_id)
        .join(Entrance, Entrance.id == Unit.entrance_id)
        .join(Building, Building.id == Entrance.building_id)
        .where(Residency.community_id == comm.id, Residency.status == ResidencyStatus.ACTIVE)
        .order_by(Residency.id)
    ).all()
    return [
        Resident(uid, rel, f"{b}-{e}-{room}", int(room[:-2]), owner_id, since[uid])
        for uid, rel, b, e, room, owner_id in rows
        if uid in since
    ]


# Kinds of resident a line of the script can be given to (when no demo account says it).
KINDS: dict[str, Callable[[Resident], bool]] = {
    "owner": lambda r: r.relation == Relation.OWNER,
    "family": lambda r: r.relation == Relation.FAMILY,
    "tenant": lambda r: r.relation == Relation.TENANT,
    "ground": lambda r: r.relation == Relation.OWNER and r.floor == 1,
    "second": lambda r: r.relation == Relation.OWNER and r.floor == 2,
    "top": lambda r: r.relation == Relation.OWNER and r.floor >= 5,
    "anyone": lambda r: True,
}


@dataclass(frozen=True)
class Say:
    """One comment of the script. `who` is a ctx.users key, a KINDS key, or "author" (the
    thread's author again). A comment comes `after` days after the topic was posted (or, given
    `days_ago`, that many days before now); a reply `after` hours after the comment it answers."""

    who: str
    text: str
    after: float = 0
    replies: tuple[Say, ...] = ()
    days_ago: float | None = None
    report: tuple[str, str] | None = None  # (KINDS key of the reporter, reason)
    hide: tuple[str, str] | None = None  # the committee hides it: (reason code, text)


class Speakers:
    """Picks a plausible author for each line: linked by then, of the right kind, preferring
    people who have not spoken yet, so a thread reads like a neighbourhood, not one person."""

    def __init__(self, ctx: SeedContext, code: str) -> None:
        self.ctx = ctx
        self.code = code
        demo = {user.id for user in ctx.users.values()}
        self.pool = [r for r in residents_of(ctx, code) if r.user_id not in demo]
        self.spoken: set[int] = set()

    def pick(self, kind: str, at: datetime, exclude: int | None = None) -> tuple[User, datetime]:
        """A resident of `kind` linked at `at` (not `exclude`); if none was yet, the first one
        to link, a little after they did."""
        wanted = KINDS[kind]
        fitting = [r for r in self.pool if wanted(r) and r.user_id != exclude]
        if not fitting:
            raise LookupError(f"no {kind} resident in {self.code}")
        ready = [r for r in fitting if r.since <= at]
        fresh = [r for r in ready if r.user_id not in self.spoken]
        if fresh or ready:
            chosen = self.ctx.rng.choice(sorted(fresh or ready, key=lambda r: r.user_id))
        else:
            chosen = min(fitting, key=lambda r: r.since)
            at = min(
                chosen.since + timedelta(hours=self.ctx.rng.randint(2, 30)),
                self.ctx.now - timedelta(minutes=2),
            )
        self.spoken.add(chosen.user_id)
        return db.session.get(User, chosen.user_id), at


def _speaker(
    ctx: SeedContext, speakers: Speakers, who: str, at: datetime, author: User | None
) -> tuple[User, datetime]:
    if who == "author" and author is not None:
        return author, at
    if who in ctx.users:
        demo = ctx.users[who]
        # A demo resident whose link came later than the script's moment speaks once it did
        # (staff are not in ctx.readers and can speak any time).
        since = [s for uid, s, until in ctx.readers.get(speakers.code, []) if uid == demo.id]
        if since and min(since) > at:
            at = min(since) + timedelta(hours=ctx.rng.randint(1, 20))
        return demo, at
    return speakers.pick(who, at)


def discuss(ctx: SeedContext, topic: Topic, script: tuple[Say, ...]) -> list[Comment]:
    """Write a topic's discussion from its script: every comment, reply, report and hiding is
    planned first, then made through the services in time order, so comment ids follow the
    clock as they would. Returns the comments in the order written."""
    code = next(c for c, comm in ctx.communities.items() if comm.id == topic.community_id)
    committee = ctx.users[f"committee:{code}"]
    speakers = Speakers(ctx, code)
    posted = aware(topic.posted_at)
    timeline = Timeline(ctx)
    threads: dict[int, Comment] = {}  # script position -> its comment, once written
    written: list[Comment] = []

    def comment(n: int, user: User, text: str, at: datetime) -> None:
        threads[n] = services.add_comment(user, topic, text, now=at)
        written.append(threads[n])

    def reply(n: int, user: User, text: str, at: datetime) -> None:
        written.append(services.add_comment(user, topic, text, threads[n], at))

    for n, say in enumerate(script):
        if say.days_ago is not None:
            start = ctx.at(say.days_ago, ctx.rng.randint(8, 20), ctx.rng.randint(0, 59))
        else:
            start = posted + timedelta(days=say.after)
        at = ctx.between(start, start + timedelta(hours=2))
        author, at = _speaker(ctx, speakers, say.who, at, None)
        timeline.add(at, partial(comment, n, author, say.text, at))
        last = at
        for answer in say.replies:
            reply_at = min(
                last + timedelta(hours=answer.after, minutes=ctx.rng.randint(3, 50)),
                ctx.now - timedelta(minutes=2),
            )
            user, reply_at = _speaker(ctx, speakers, answer.who, reply_at, author)
            timeline.add(reply_at, partial(reply, n, user, answer.text, reply_at))
            last = reply_at
        if say.report:
            kind, reason = say.report
            report_at = at + timedelta(minutes=ctx.rng.randint(20, 90))
            reporter, report_at = speakers.pick(kind, report_at, exclude=author.id)
            timeline.add(
                report_at,
                lambda n=n, u=reporter, r=reason, t=report_at: services.report_comment(
                    u, threads[n], r, now=t
                ),
            )
        if say.hide:
            reason_code, text = say.hide
            hide_at = at + timedelta(hours=3, minutes=ctx.rng.randint(0, 40))
            timeline.add(
                hide_at,
                lambda n=n, c=reason_code, x=text, t=hide_at: services.hide_comment(
                    committee, threads[n], c, x, now=t
                ),
            )
    timeline.run()
    return written


def make_topic(
    ctx: SeedContext,
    code: str,
    title: str,
    body: str,
    *,
    created: datetime,
    posted: datetime | None,
    notice_days: int = 7,
) -> Topic:
    """A topic written by the committee at `created` and, unless `posted` is None, posted."""
    committee = ctx.users[f"committee:{code}"]
    with acting_at(ctx, created):
        topic = services.create_topic(
            committee, ctx.communities[code], title, body, notice_days=notice_days
        )
    topic.created_at = created  # create_topic stamps the real clock
    if posted is not None:
        with acting_at(ctx, posted):
            services.post_topic(committee, topic, now=posted)
    return topic


# ---------------------------------------------------------------------------------------------
# The texts


def _xfl_willingness_body(comm: Community) -> str:
    units = db.session.scalar(select(func.count(Unit.id)).where(Unit.community_id == comm.id))
    return (
        "一、议题背景\n"
        f"幸福里小区建成于上世纪90年代中期，共{len(comm.buildings)}幢、{units}套住房。房屋和配套设施"
        "普遍老化：雨污合流、屋面渗漏、外墙无保温、楼道照明和弱电线路杂乱、停车位严重不足、缺少"
        "适老化设施。经街道和区住建局审核，本小区已列入本年度老旧小区改造计划。按照“居民自愿、"
        "共商共建”的原则，是否实施改造须由业主共同决定。\n\n"
        "二、拟改造内容（以最终公示的方案为准）\n"
        "1. 基础类：雨污分流、屋面防水、外墙保温及立面整治、楼道粉刷和照明、弱电线路归整、"
        "供水管网更新；\n"
        "2. 完善类：道路和停车位改造、电动自行车集中充电棚、绿化补植、无障碍坡道和楼道扶手；\n"
        "3. 提升类：根据居民意愿，利用架空层设置老年活动室；符合条件的单元可另行申请加装电梯"
        "（以单元为单位单独表决）。\n\n"
        "三、资金来源\n"
        "基础类改造的费用主要由政府补助资金承担。完善类、提升类按“谁受益、谁出资”的原则，由政府"
        "补助、以奖代补资金、专项维修资金、水电气等管线单位和居民共同分担。居民出资部分将在方案"
        "阶段按专有部分面积测算到户并公示，另行表决。本次表决只决定是否实施改造，不涉及缴费。\n\n"
        "四、表决方式\n"
        "本议题公示7天后启动表决。改造涉及共有部分的改建，依照《民法典》第二百七十八条，须由专有"
        "部分面积占比三分之二以上且人数占比三分之二以上的业主参与表决，并经参与表决专有部分面积"
        "四分之三以上且参与表决人数四分之三以上的业主同意。\n"
        "每位业主一票，拥有多套住房的业主按一人计算、面积合并计算。可在“共建”平台在线投票，截止前"
        "可以修改；也可填写纸质表决票，由工作人员入户征询时收取，或交到小区活动室咨询点。不便"
        "亲自表决的，可书面委托家庭成员代为表决，委托书交业委会登记。\n"
        "表决结束后，结果和回执码清单在平台和公告栏公示，业主可凭回执码核对本户选票。\n\n"
        "欢迎在下方留言提问，业委会将逐条答复。"
    )


XFL_LIFT_BODY = (
    "3幢2单元共6层12户，多位业主（其中不少是七十岁以上的老人）反映上下楼困难，提出加装电梯。"
    "按照本市既有住宅加装电梯的规定，加装电梯以单元为单位决定，由本单元业主表决。\n\n"
    "一、初步方案：电梯井道设在单元入口北侧，停靠各层休息平台，设计单位已现场踏勘。\n"
    "二、费用估算：总造价约68万元，可申请政府补助约20万元，其余由二至六楼业主按楼层系数分摊"
    "（二楼0.6、三楼0.8、四楼1.0、五楼1.2、六楼1.3），一楼不分摊。\n"
    "三、对一、二楼的影响：井道会遮挡部分采光，施工期间单元入口临时改道。设计单位将出具采光"
    "分析，确有影响的，由受益业主协商补偿。\n"
    "四、表决规则：须经本单元全体业主（按户数和专有部分面积）三分之二以上同意。\n\n"
    "本议题公示15天，期满后启动表决。欢迎本单元业主和其他居民留言讨论。"
)

XFL_PARKING_BODY = (
    "小区现有划线停车位46个，登记车辆约110辆，夜间车辆沿消防通道停放，存在安全隐患。设计单位"
    "提出三种思路：\n"
    "1. 将北侧约600平方米绿地改建为生态停车位（植草砖铺设，保留现有乔木），可新增车位约30个；\n"
    "2. 道路单侧划线停车，结合单向通行，可新增车位约18个；\n"
    "3. 与周边单位协商，错时共享停车。\n\n"
    "本次先做一次意见征集（不作为业主大会决议），结果供设计单位编制方案时参考。"
)

JSXC_WILLINGNESS_BODY = (
    "建设新村建于上世纪80年代末，是江北区较早的职工住宅小区。经区住建局审核，本小区列入本年度"
    "老旧小区改造计划。是否实施改造，须由业主共同决定。\n\n"
    "拟改造内容：雨污分流、屋面防水、外墙保温、供水管网更新、楼道照明和扶手、单元入口无障碍坡道、"
    "弱电线路归整；根据居民意愿增设电动自行车充电设施、规整停车位、补植绿化。\n\n"
    "资金来源：基础类项目主要由政府补助；其他项目由政府补助、专项维修资金、管线单位和居民共同"
    "分担，居民出资部分在方案阶段测算到户并另行表决。\n\n"
    "表决方式：本议题公示7天后启动表决，须专有部分面积和人数均达三分之二以上的业主参与，并经"
    "参与表决面积和人数均达四分之三以上的业主同意。可在“共建”平台投票，也可填写纸质表决票；"
    "不便亲自表决的，可书面委托家人代为表决。"
)

JSXC_CHARGING_BODY = (
    "小区目前没有集中充电设施，不少居民把电动自行车推进楼道充电，或从窗口拉线充电，去年3幢曾"
    "发生电瓶起火险情。拟在2幢与3幢之间的闲置空地（原自行车棚旧址）建设集中充电棚，设充电口40个，"
    "扫码按次计费，由物业负责日常管理。\n\n"
    "该事项占用共有部分并改变其用途，须经业主共同决定（参与表决面积和人数四分之三以上同意）。"
    "本议题公示7天，期满后启动表决。"
)

JSXC_DRAFT_BODY = (
    "为保证改造质量，拟由各楼栋推选居民代表1至2名，组成居民监督小组，参与施工巡查、隐蔽工程验收"
    "和竣工验收，并定期在平台上向居民通报。\n\n（草稿：待居委会讨论后公示）"
)

C = "committee:XFL"
P = "property:XFL"

XFL_WILLINGNESS_SCRIPT: tuple[Say, ...] = (
    Say(
        "owner",
        "请问改造要我们自己出多少钱？我们家两个都是退休工人，退休金加起来六千多，拿不出太多。",
        0.2,
        (
            Say(
                C,
                "您好！这次表决只决定小区要不要改造。雨污分流、屋面防水、外墙保温这些基础类项目主要由"
                "政府补助，居民不用出钱；完善类、提升类项目的居民出资部分，会在方案阶段按面积测算到"
                "每户并公示，到时候再请大家表决。",
                3,
            ),
            Say("author", "明白了，就是说现在投同意，也不等于马上要交钱，对吧？", 2),
            Say(C, "对的，出资方案单独公示、单独表决。", 1),
        ),
    ),
    Say(
        "owner:XFL",
        "我家住3幢2单元5楼，老母亲八十多了，现在一个礼拜只下一次楼。这次改造能不能把加装电梯"
        "一起做了？",
        0.5,
        (
            Say(
                C,
                "加装电梯按规定以单元为单位，由本单元业主表决决定，费用一般按楼层分摊，政府有补助。"
                "3幢2单元如果大家有意向，业委会可以单独发起一个议题。",
                4,
            ),
            Say(
                "ground",
                "我住一楼，电梯井装在楼道口会挡我家的光，一楼又用不上电梯，这个我不赞成。",
                20,
            ),
            Say(
                "owner:XFL",
                "一楼一般不分摊费用，装之前还会做采光分析，影响大的可以商量补偿。大家都是老邻居，"
                "好商量。",
                3,
            ),
        ),
    ),
    Say(
        "top",
        "我们这栋顶楼每年梅雨季都漏水，物业修过三次都没用。这次屋面防水一定要彻底做好，最好有质保。",
        1.2,
        (
            Say(
                P,
                "屋面防水属于基础类项目，施工合同会约定保修期（防水工程不少于5年），保修期内由施工"
                "单位负责返修。",
                18,
            ),
        ),
    ),
    Say(
        "owner",
        "3幢1单元601的陈某一直在楼道里说改造是骗钱的，大家可以打他电话13800000099问问他到底"
        "什么意思。",
        2.0,
        report=("owner", "公开了别人的电话和房号，不合适"),
        hide=(
            "personal_data",
            "评论中公开了其他业主的房号和手机号码，已隐藏。对改造有不同意见的，请直接在讨论区"
            "留言或联系业委会。",
        ),
    ),
    Say(
        "family:XFL",
        "小区里电瓶车都停在楼道里充电，还有人从窗口拉电线，太危险了。希望这次能建集中充电棚，"
        "扫码付费就行。",
        4.6,
        (
            Say(
                P,
                "物业支持。初步看了北侧空地和5幢东山墙两个位置，方案阶段会征求大家的意见。",
                5,
            ),
        ),
    ),
    Say(
        "owner",
        "停车位太少了，晚上回来要绕好几圈，消防通道上都停满了车。改造后能多出多少车位？会不会"
        "把绿化都占掉？",
        3.1,
        (
            Say(
                C,
                "车位数量要等设计方案出来。原则上不大面积占用绿地，停车方案我们会单独做一次意见征集，"
                "请大家关注。",
                22,
            ),
        ),
    ),
    Say(
        "owner",
        "外墙保温要搭脚手架吧？我家的防盗窗是自己装的，会不会要求拆掉？拆了谁来装回去？",
        4.0,
        (
            Say(
                C,
                "立面整治会统一防盗窗样式。施工时确需拆除的，由施工单位负责拆装，不另外收费，具体以"
                "最终方案为准。",
                6,
            ),
        ),
    ),
    Say(
        "owner",
        "说实话我对这种工程不太放心，前几年修路修了半年，没两年路面又坏了。施工队是谁定的？"
        "业委会有没有拿好处？",
        5.0,
        (
            Say(
                C,
                "理解大家的担心。施工单位由区住建局公开招标确定，业委会不参与选定；招标结果和合同"
                "都会在平台公示。施工期间还会请各楼栋推选居民代表组成监督小组，欢迎您报名。",
                5,
            ),
            Say("author", "合同能公开的话我没意见，我报名监督小组。", 20),
        ),
        report=("owner", "没有根据就说业委会拿好处，是人身攻击"),
    ),
    Say(
        "elder:XFL",
        "我家在2幢一楼，墙角每年都发霉，下水道还经常返臭味。改造能不能解决？",
        7.5,
        (
            Say(
                C,
                "李阿姨您好，雨污分流和排水管网改造是这次的基础类项目，一楼返潮的问题我们会请设计"
                "单位上门看一看。",
                2,
            ),
        ),
    ),
    Say(
        "family",
        "我妈八十多了，不会用手机，她也有一票吧？怎么投？",
        8.5,
        (
            Say(
                C,
                "有的。工作人员会入户征询，老人可以填纸质表决票；也可以书面委托子女代为表决，委托书"
                "交业委会登记后，您就可以在平台上代她投票。",
                3,
            ),
        ),
    ),
    Say(
        "tenant",
        "我是租户，能不能也提点意见？希望楼道里的声控灯修一修，晚上回来黑乎乎的。",
        12,
        (Say(C, "欢迎租户在讨论区提意见！楼道照明改造在基础类项目里。表决按规定由业主进行。", 4),),
    ),
    Say(
        "owner:XFL",
        "已经在手机上投了票，回执码抄在日历上了，结果出来后可以自己核对，这个办法好。",
        22,
    ),
    Say(
        "owner",
        "希望施工时注意噪音，我家孩子明年中考。",
        30,
        (Say(P, "施工时间会控制在白天，中考、高考期间停止高噪声作业，我们会提前公告。", 6),),
    ),
)

XFL_LIFT_SCRIPT: tuple[Say, ...] = (
    Say(
        "owner:XFL",
        "感谢业委会发起议题！我们单元60岁以上的老人有好几位，电梯是刚需。费用分摊我家没意见。",
        0.5,
    ),
    Say(
        "ground",
        "我还是担心采光和噪音，电梯井就在我家卧室窗外。采光分析什么时候出来？",
        1.5,
        (Say(C, "设计单位下周出采光分析报告，出来后附在议题里，并上门向一、二楼住户说明。", 20),),
    ),
    Say("second", "二楼也要出0.6的系数？我们二楼平时走走楼梯也就上去了，这个比例偏高。", 4),
    Say("owner", "建议一、二楼业主的意见要充分尊重，不要为了电梯邻里之间闹僵了。", 9),
)

XFL_PARKING_SCRIPT: tuple[Say, ...] = (
    Say("owner", "支持生态停车位。北边绿地现在就是杂草和晾衣服的，改成植草砖车位两全其美。", 0.4),
    Say(
        "elder:XFL",
        "北边那块绿地是我们老人早上打太极拳的地方，能不能留一块出来？",
        1,
        (Say(C, "李阿姨的意见我们记下了，会请设计单位保留一块健身活动场地。", 5),),
    ),
    Say("tenant", "道路单侧停车加单向通行我觉得可行，消防通道一定要留出来。", 2),
    Say(
        "owner",
        "车位以后是收费还是免费？怎么分配？先说清楚比较好。",
        3,
        (Say(P, "车位分配和收费办法会在方案阶段另行制定并征求意见，原则上本小区业主优先。", 20),),
    ),
    Say(
        "owner",
        "施工期间临时停车点在北侧，晚上回来太远了，能不能在4幢门口留几个临时车位给老人？",
        days_ago=20,
        replies=(
            Say(P, "已经和施工单位商量好，4幢门前每晚18:00后开放5个临时车位，优先老人车辆。", 3),
        ),
    ),
    Say("family:XFL", "新划的车位线很清楚，比原来整齐多了，点赞。", days_ago=5),
)

J = "committee:JSXC"

JSXC_WILLINGNESS_SCRIPT: tuple[Say, ...] = (
    Say(
        "owner",
        "建设新村终于轮到了！我们单元的水管去年爆了两次，希望这次全部换掉。",
        0.2,
        (Say(J, "供水管网更新在基础类改造内容中，设计单位下周会入户查看。", 3),),
    ),
    Say(
        "owner:JSXC",
        "请问表决什么时候开始？我经常出差，可以在手机上投吗？",
        1,
        (
            Say(
                J,
                "公示7天期满后开始表决，在平台上就能投，截止前都可以修改。不方便的也可以填纸质"
                "表决票。",
                2,
            ),
        ),
    ),
    Say("owner", "小区里老人多，希望楼道能装扶手，单元门口的台阶改成坡道。", 2),
    Say(
        "family",
        "我爸妈不会用手机，我能代他们投吗？",
        4,
        (
            Say(
                J,
                "可以办理委托：业主签委托书，连同身份证复印件交社区登记，您就可以在平台上代为表决。",
                4,
            ),
        ),
    ),
    Say(
        "owner",
        "改造期间车停哪里？我们上班要用车。",
        6,
        (Say(J, "施工会分区分段进行，临时停车点会提前公告。", 20),),
    ),
    Say("owner", "看了议题内容，基本同意。希望改造方案多听听我们居民的意见。", 9),
)

JSXC_CHARGING_SCRIPT: tuple[Say, ...] = (
    Say("owner", "早就该建了！楼道里停电瓶车太危险。", 0.5),
    Say("owner", "充电棚离3幢1单元一楼窗户太近的话，晚上会不会吵？选址时请考虑一下。", 1.2),
)


# ---------------------------------------------------------------------------------------------
# The step


def seed_topics(ctx: SeedContext) -> None:
    """Step 1's topics and discussions in both communities (see the module docstring)."""
    xfl = ctx.communities[XFL]
    opened = XFL_TIMELINE["consult"][0]
    willingness = make_topic(
        ctx,
        XFL,
        XFL_WILLINGNESS,
        _xfl_willingness_body(xfl),
        created=ctx.at(opened + 3, 15, 40),
        posted=ctx.at(opened, 10, 0),  # the morning the consultation was announced
    )
    discuss(ctx, willingness, XFL_WILLINGNESS_SCRIPT)
    # Entrance 3-2 asked for a lift in the discussion; a lift plan is posted 15 days.
    lift = make_topic(
        ctx,
        XFL,
        XFL_LIFT,
        XFL_LIFT_BODY,
        created=ctx.at(opened - 18, 16, 10),
        posted=ctx.at(opened - 20, 9, 30),
        notice_days=15,
    )
    discuss(ctx, lift, XFL_LIFT_SCRIPT)
    parking = make_topic(
        ctx,
        XFL,
        XFL_PARKING,
        XFL_PARKING_BODY,
        created=ctx.at(opened - 31, 17, 0),
        posted=ctx.at(opened - 32, 9, 30),
    )
    discuss(ctx, parking, XFL_PARKING_SCRIPT)

    jsxc = make_topic(
        ctx,
        JSXC,
        JSXC_WILLINGNESS,
        JSXC_WILLINGNESS_BODY,
        created=ctx.at(16, 15, 20),
        posted=ctx.at(14, 9, 40),  # with the notice opening the consultation
    )
    discuss(ctx, jsxc, JSXC_WILLINGNESS_SCRIPT)
    charging = make_topic(
        ctx,
        JSXC,
        JSXC_CHARGING,
        JSXC_CHARGING_BODY,
        created=ctx.at(4, 17, 0),
        posted=ctx.at(3, 10, 0),
    )
    discuss(ctx, charging, JSXC_CHARGING_SCRIPT)
    make_topic(ctx, JSXC, JSXC_DRAFT, JSXC_DRAFT_BODY, created=ctx.at(1, 16, 30), posted=None)


def find_topic(ctx: SeedContext, code: str, title: str) -> Topic:
    return db.session.scalars(
        select(Topic).where(Topic.community_id == ctx.communities[code].id, Topic.title == title)
    ).one()


SEED_STEPS.append(seed_topics)
