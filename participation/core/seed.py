"""The demo neighbourhood behind `flask seed-demo`: two communities at different points of the
workflow, a realistic register, one account per role and enough activity that every screen shows
believable data.

The seed is a list of small steps, `SEED_STEPS`, each a callable `(ctx) -> None`. A feature package
adds its own demo data by appending a step (`SEED_STEPS.append(seed_votes)`); the step finds the
communities, the demo users and the timeline in `ctx`. Everything is deterministic for one rng
seed (except invite codes, which `accounts.create_invites` draws from `secrets`) and dated
relative to `ctx.now`, so a reseed always shows recent activity.
"""

from __future__ import annotations

import importlib
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from flask import current_app, url_for
from sqlalchemy import func, insert, select

from ..extensions import db
from . import audit, notify
from .models import (
    AuditEntry,
    Building,
    Community,
    Entrance,
    Invite,
    Membership,
    Message,
    Notice,
    Owner,
    Project,
    Relation,
    Residency,
    ResidencyStatus,
    Role,
    StepState,
    Unit,
    User,
)
from .services import accounts
from .services.community import ensure_project
from .timeutil import aware, utcnow

DEMO_PASSWORD = "demo1234"
# China has no daylight saving time: a fixed offset needs no tz database.
CST = timezone(timedelta(hours=8))

XFL, JSXC = "XFL", "JSXC"


@dataclass(frozen=True)
class DemoLogin:
    key: str  # how seed steps find the user in ctx.users
    phone: str
    name: str
    role: str  # shown in the logins table
    community: str  # community code, "" for the city role
    try_this: str


DEMO_LOGINS: tuple[DemoLogin, ...] = (
    DemoLogin(
        "committee:XFL",
        "13800000001",
        "王建国",
        "committee (业委会主任), also owner",
        XFL,
        "review waiting owner links, post a notice, read the audit log, see project steps",
    ),
    DemoLogin(
        "committee:JSXC",
        "13800000002",
        "陈美华",
        "committee (社区居委会主任)",
        JSXC,
        "a community just starting: step 1 open, issue and print invite slips",
    ),
    DemoLogin(
        "property:XFL",
        "13800000003",
        "赵志刚",
        "property (物业经理)",
        XFL,
        "the property company's view of a community under construction",
    ),
    DemoLogin(
        "contractor:XFL",
        "13800000004",
        "孙海涛",
        "property (施工单位 施工员)",
        XFL,
        "the contractor's view; posted the water-cut notice",
    ),
    DemoLogin(
        "city",
        "13800000005",
        "周丽",
        "city (街道办)",
        "",
        "oversee both communities, manage staff accounts",
    ),
    DemoLogin(
        "owner:XFL",
        "13800000011",
        "张伟民",
        "resident, owner of two units",
        XFL,
        "inbox with unread notices; 'Me' lists both homes",
    ),
    DemoLogin(
        "family:XFL",
        "13800000012",
        "张晓燕",
        "resident, family member",
        XFL,
        "reads and discusses but does not vote",
    ),
    DemoLogin(
        "tenant:XFL",
        "13800000013",
        "刘洋",
        "resident, tenant",
        XFL,
        "a tenant of 张伟民's second unit",
    ),
    DemoLogin(
        "elder:XFL",
        "13800000014",
        "李秀英",
        "resident, elderly owner",
        XFL,
        "switch on elder mode (长辈模式)",
    ),
    DemoLogin(
        "pending:XFL",
        "13800000015",
        "黄磊",
        "owner claim waiting for the committee",
        XFL,
        "'Me' shows the link waiting; confirm it as 13800000001",
    ),
    DemoLogin(
        "owner:JSXC",
        "13800000021",
        "陈志明",
        "resident, owner",
        JSXC,
        "the first step of a project just started",
    ),
)
DEMO_PHONES = frozenset(login.phone for login in DEMO_LOGINS)


# ---------------------------------------------------------------------------------------------
# Context shared by the steps


@dataclass
class SeedContext:
    now: datetime
    rng: random.Random
    password_hash: str
    communities: dict[str, Community] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)  # DemoLogin.key -> user
    units: dict[str, list[Unit]] = field(default_factory=dict)  # code -> units in register order
    unit_by_label: dict[tuple[str, str], Unit] = field(default_factory=dict)  # (code, label)
    # Residencies with the moment each started and (if revoked) stopped counting as a reader.
    readers: dict[str, list[tuple[int, datetime, datetime | None]]] = field(default_factory=dict)
    used_phones: set[str] = field(default_factory=lambda: set(DEMO_PHONES))
    used_names: set[str] = field(default_factory=set)
    _audit: list[tuple[datetime, int, AuditEntry]] = field(default_factory=list)
    _messages: list[dict[str, Any]] = field(default_factory=list)

    # -- time

    def at(self, days_ago: float, hour: int = 10, minute: int = 0) -> datetime:
        """A moment `days_ago` days before now at a local (Beijing) time of day, in UTC,
        never later than now."""
        local_day = (self.now - timedelta(days=days_ago)).astimezone(CST)
        moment = local_day.replace(hour=hour, minute=minute, second=0, microsecond=0)
        return min(moment.astimezone(UTC), self.now - timedelta(minutes=5))

    def between(self, start: datetime, end: datetime) -> datetime:
        """A random moment in [start, end], shifted into waking hours (07–22 local)."""
        span = max((end - start).total_seconds(), 0)
        moment = start + timedelta(seconds=self.rng.randrange(int(span) + 1))
        local = moment.astimezone(CST)
        if local.hour < 7 or local.hour >= 22:
            local = local.replace(hour=self.rng.randint(8, 21), minute=self.rng.randint(0, 59))
        return min(local.astimezone(UTC), self.now - timedelta(minutes=1))

    # -- people

    def phone(self) -> str:
        while True:
            phone = self.rng.choice(PHONE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if phone not in self.used_phones and not phone.startswith("1380000"):
                self.used_phones.add(phone)
                return phone

    def name(self, generation: str = "elder", surname: str | None = None) -> str:
        """A common Chinese name; owners of a 1990s estate were mostly born 1940–1970, their
        children and tenants 1980–2005. Repeats are avoided but allowed after a few tries."""
        given = ELDER_GIVEN if generation == "elder" else YOUNG_GIVEN
        for _attempt in range(6):
            name = (surname or self.rng.choice(SURNAMES)) + self.rng.choice(given)
            if name not in self.used_names:
                break
        self.used_names.add(name)
        return name

    def user(self, phone: str, name: str, created_at: datetime) -> User:
        user = User(
            phone=phone,
            name=name,
            password_hash=self.password_hash,
            privacy_accepted_at=created_at,
            created_at=created_at,
        )
        db.session.add(user)
        return user

    # -- records written in time order at the end, so ids follow the timeline

    def audit(
        self,
        at: datetime,
        actor: Any,
        action: str,
        *,
        community_id: int | None = None,
        target: Any = None,
        **detail: Any,
    ) -> None:
        audit.record(actor, action, community_id=community_id, target=target, **detail)
        self.adopt_audit(at)

    def adopt_audit(self, at: datetime) -> None:
        """Take the audit entries a service call just added (not yet flushed) out of the
        session and date them `at`: the log is append-only, so they cannot be fixed later."""
        at = aware(at).astimezone(UTC)  # SQLite keeps the wall time of an aware value: store UTC
        for obj in list(db.session.new):
            if isinstance(obj, AuditEntry):
                db.session.expunge(obj)
                obj.at = at
                self._audit.append((at, len(self._audit), obj))

    def message(
        self,
        user_id: int,
        title: str,
        at: datetime,
        *,
        community_id: int | None = None,
        body: str = "",
        link: str = "",
        params: dict | None = None,
        read_at: datetime | None = None,
    ) -> None:
        """Queue an inbox message; `params` (possibly empty) marks `title` as an N_ msgid."""
        self._messages.append(
            {
                "user_id": user_id,
                "community_id": community_id,
                "title": title[:200],
                "body": body,
                "link": link,
                "created_at": aware(at).astimezone(UTC),
                "params": params,
                "read_at": read_at and aware(read_at).astimezone(UTC),
            }
        )

    def maybe_read(self, at: datetime, p_old: float = 0.85, p_new: float = 0.35) -> datetime | None:
        """When (if at all) a resident read a message sent `at`: old ones mostly read."""
        p = p_old if (self.now - at) > timedelta(days=14) else p_new
        if self.rng.random() >= p:
            return None
        return min(at + timedelta(minutes=self.rng.randint(3, 60 * 48)), self.now)

    def flush_records(self) -> None:
        self._audit.sort(key=lambda item: (item[0], item[1]))
        db.session.add_all(entry for _at, _n, entry in self._audit)
        self._audit.clear()
        if self._messages:
            self._messages.sort(key=lambda row: (row["created_at"], row["user_id"]))
            db.session.execute(insert(Message), self._messages)
            self._messages.clear()
        db.session.flush()


SeedStep = Callable[[SeedContext], None]


# ---------------------------------------------------------------------------------------------
# Names, phones and the two estates


def _words(text: str) -> list[str]:
    return text.split()


PHONE_PREFIXES = _words(
    "130 131 132 133 135 136 137 138 139 150 151 152 153 155 156 157 158 159 "
    "180 181 182 183 185 186 187 188 189"
)
# Frequent surnames weighted by repetition, with the Ningbo ones (应 俞 励 竺 忻 邬 鲍 虞).
SURNAMES = list(
    "王王王王李李李李张张张陈陈陈陈刘刘杨黄黄赵吴吴周周徐徐孙马朱胡胡郭何林林高罗郑郑梁谢"
    "宋唐许韩冯邓曹彭沈沈叶叶蒋余杜魏程苏丁任姚卢钟金金汪陆陆戴戴邵邵毛史应应俞俞励竺忻邬鲍虞童"
)
ELDER_GIVEN = _words(
    "建国 建华 建平 国强 国庆 国良 志明 志刚 志强 德明 德华 文华 卫东 卫国 永康 永平 海林 "
    "宝根 金发 根富 荣华 伟民 伟国 明华 立新 振华 学军 长生 福林 忠良 正德 加平 孝康 亚军 "
    "秀英 桂英 桂兰 玉兰 秀兰 淑珍 淑芬 美华 丽华 凤英 月娥 彩娣 巧珍 素琴 翠英 爱华 红梅 "
    "海燕 丽萍 晓红 雪芬 亚芬 菊芬 阿康 杏娣 勇 军 强 斌 平 静 敏 萍 芳 红"
)
YOUNG_GIVEN = _words(
    "子涵 浩然 欣怡 梓轩 思远 宇航 佳怡 雨桐 俊杰 晓燕 婷婷 一鸣 家豪 梦瑶 嘉怡 天宇 博文 "
    "诗琪 晨曦 文博 雅琴 海涛 晓东 丹丹 鹏 磊 洋 帆 晨 琳 倩 浩 超 颖 洁"
)


@dataclass(frozen=True)
class OwnerSpec:
    name: str
    phone: str
    labels: tuple[str, ...]  # building-entrance-room


@dataclass(frozen=True)
class EstateSpec:
    code: str
    name: str
    name_en: str
    district: str
    address: str
    # (building name, entrances, floors); two units per floor per entrance, rooms 101…602.
    buildings: tuple[tuple[str, int, int], ...]
    # Per-building floor-plan pair (room x01, room x02) in m², as in a 1990s 住宅 register.
    layouts: tuple[tuple[str, str], ...]
    developer_units: int
    developer_name: str
    reserved: tuple[OwnerSpec, ...]
    pending_owner: tuple[str, str] | None = None  # (label, owner name) the demo claim targets


ESTATES: dict[str, EstateSpec] = {
    XFL: EstateSpec(
        code=XFL,
        name="幸福里小区",
        name_en="Xingfuli Estate",
        district="鼓楼区",
        address="鼓楼区中山西路168弄1–6幢",
        buildings=(("1", 3, 6), ("2", 3, 6), ("3", 3, 6), ("4", 2, 6), ("5", 3, 5), ("6", 2, 5)),
        layouts=(
            ("56.42", "62.15"),
            ("64.73", "71.38"),
            ("73.56", "82.90"),
            ("48.30", "58.64"),
            ("84.27", "91.36"),
            ("61.05", "67.92"),
        ),
        developer_units=4,
        developer_name="某某房地产开发有限公司",
        reserved=(
            OwnerSpec("王建国", "13800000001", ("1-1-301",)),
            OwnerSpec("张伟民", "13800000011", ("3-2-502", "5-1-301")),
            OwnerSpec("李秀英", "13800000014", ("2-1-101",)),
        ),
        pending_owner=("4-2-402", "黄国庆"),
    ),
    JSXC: EstateSpec(
        code=JSXC,
        name="建设新村",
        name_en="Jianshe New Village",
        district="江北区",
        address="江北区人民路建设巷12号",
        buildings=(("1", 3, 6), ("2", 3, 6), ("3", 3, 6), ("4", 3, 6)),
        layouts=(("52.18", "60.47"), ("58.90", "66.35"), ("52.18", "60.47"), ("69.84", "78.12")),
        developer_units=2,
        developer_name="江北城建房地产开发有限公司",
        reserved=(OwnerSpec("陈志明", "13800000021", ("2-1-201",)),),
    ),
}

# Days before now at which each XFL step opened and closed: consult ran about ten weeks,
# planning ten, pledging nine, and the builders have been on site for eleven weeks.
XFL_TIMELINE = {
    "created": 330,
    "invites": 290,
    "consult": (282, 212),
    "plan": (212, 141),
    "pledge": (141, 78),
    "build": (78, None),
}
JSXC_TIMELINE = {"created": 32, "invites": 25, "consult": (14, None)}
TIMELINES = {XFL: XFL_TIMELINE, JSXC: JSXC_TIMELINE}


SURVEY_JITTER = ("0.00", "0.00", "0.00", "0.06", "-0.04", "0.11", "-0.13", "0.27")


def _room(floor: int, position: int) -> str:
    return f"{floor}{position:02d}"


def _area(base: str, jitter: Decimal, *, end_entrance: bool, floor: int, top: int) -> Decimal:
    """The registered area varies a little with the position: end entrances have the gable
    wall's extra room, ground floors lose the stair lobby, top floors gain a roof terrace, and
    each entrance was surveyed on its own (`jitter`)."""
    area = Decimal(base) + jitter
    if end_entrance:
        area += Decimal("2.36")
    if floor == 1:
        area -= Decimal("1.84")
    elif floor == top:
        area += Decimal("3.12")
    return area.quantize(Decimal("0.01"))


def seed_communities(ctx: SeedContext) -> None:
    """Both communities and their projects (steps are set by seed_project_steps)."""
    for code, spec in ESTATES.items():
        comm = Community(
            code=code,
            name=spec.name,
            name_en=spec.name_en,
            district=spec.district,
            address=spec.address,
            created_at=ctx.at(TIMELINES[code]["created"], 9, 30),
        )
        db.session.add(comm)
        ctx.communities[code] = comm
    db.session.flush()
    for comm in ctx.communities.values():
        project = ensure_project(comm)
        project.title = f"{comm.name}老旧小区综合改造"
        project.created_at = comm.created_at


def seed_staff(ctx: SeedContext) -> None:
    """One account per staff role; memberships go through accounts.add_membership so they are
    audited like the real thing."""
    staff = [
        ("city", Role.CITY, None, "街道办 城建科", 400),
        ("committee:XFL", Role.COMMITTEE, XFL, "业委会主任", XFL_TIMELINE["created"]),
        ("property:XFL", Role.PROPERTY, XFL, "物业经理", XFL_TIMELINE["created"] - 2),
        ("contractor:XFL", Role.PROPERTY, XFL, "施工员", XFL_TIMELINE["build"][0] + 3),
        ("committee:JSXC", Role.COMMITTEE, JSXC, "社区居委会主任", JSXC_TIMELINE["created"]),
    ]
    logins = {login.key: login for login in DEMO_LOGINS}
    for key, role, code, title, days_ago in staff:
        login = logins[key]
        created = ctx.at(days_ago, 9, 10)
        user = ctx.user(login.phone, login.name, created)
        db.session.flush()
        ctx.users[key] = user
        actor = ctx.users.get("city")
        community = ctx.communities[code] if code else None
        ctx.audit(
            created,
            actor if actor is not user else None,
            "user.create",
            community_id=community.id if community else None,
            target=user,
            role=role.value,
        )
        membership = accounts.add_membership(
            user, role, community, title=title, actor=actor if actor is not user else None
        )
        membership.created_at = created
        ctx.adopt_audit(created)


def seed_registers(ctx: SeedContext) -> None:
    """Buildings, entrances, units and owners, as the committee's register import would."""
    for code, spec in ESTATES.items():
        _seed_register(ctx, ctx.communities[code], spec)


def _seed_register(ctx: SeedContext, comm: Community, spec: EstateSpec) -> None:
    slots: list[tuple[Entrance, str, Decimal]] = []
    for (b_name, n_entrances, floors), layout in zip(spec.buildings, spec.layouts, strict=True):
        building = Building(community_id=comm.id, name=b_name, sort_key=f"{int(b_name):06d}")
        db.session.add(building)
        for e in range(1, n_entrances + 1):
            entrance = Entrance(building=building, name=str(e), sort_key=f"{e:06d}")
            db.session.add(entrance)
            end = e in (1, n_entrances)
            jitter = [Decimal(ctx.rng.choice(SURVEY_JITTER)) for _ in layout]
            for floor in range(1, floors + 1):
                for position in (1, 2):
                    area = _area(
                        layout[position - 1],
                        jitter[position - 1],
                        end_entrance=end,
                        floor=floor,
                        top=floors,
                    )
                    slots.append((entrance, f"{b_name}-{e}-{_room(floor, position)}", area))
    db.session.flush()

    # Who owns what: reserved demo owners first, then the developer's unsold units, then one
    # owner per unit except ~6% who bought two or three (for parents, or to let).
    labels = [label for _entrance, label, _area in slots]
    owner_of: dict[str, Owner] = {}
    owners: list[Owner] = []

    def new_owner(key: str, name: str, phone: str, developer: bool = False) -> Owner:
        owner = Owner(community_id=comm.id, key=key, name=name, phone=phone, is_developer=developer)
        owners.append(owner)
        return owner

    for res in spec.reserved:
        owner = new_owner(res.labels[0], res.name, res.phone)
        for label in res.labels:
            owner_of[label] = owner
    if spec.pending_owner:
        label, name = spec.pending_owner
        owner_of[label] = new_owner(label, name, ctx.phone())
    free = [label for label in labels if label not in owner_of]
    developer = new_owner("开发商", spec.developer_name, "", developer=True)
    for label in ctx.rng.sample(free, spec.developer_units):
        owner_of[label] = developer
    free = [label for label in free if label not in owner_of]
    ctx.rng.shuffle(free)
    while free:
        label = free.pop()
        roll = ctx.rng.random()
        extra = 2 if roll < 0.015 else 1 if roll < 0.06 else 0
        # Elderly owners without a mobile number are entered with none.
        phone = "" if ctx.rng.random() < 0.02 else ctx.phone()
        owner = new_owner(label, ctx.name("elder"), phone)
        owner_of[label] = owner
        for _ in range(min(extra, len(free))):
            owner_of[free.pop()] = owner
    db.session.add_all(owners)
    db.session.flush()

    units = []
    for entrance, label, area in slots:
        room = label.rsplit("-", 1)[1]
        unit = Unit(
            community_id=comm.id,
            entrance=entrance,
            room=room,
            sort_key=room.zfill(6),
            area=area,
            owner=owner_of[label],
        )
        units.append(unit)
        ctx.unit_by_label[(comm.code, label)] = unit
    db.session.add_all(units)
    db.session.flush()
    ctx.units[comm.code] = units
    at = comm.created_at + timedelta(days=4, hours=2)
    ctx.audit(
        at,
        ctx.users.get(f"committee:{comm.code}"),
        "register.import",
        community_id=comm.id,
        units=len(units),
        owners=len(owners),
        file=f"{comm.name}业主名册.xlsx",
    )


def seed_project_steps(ctx: SeedContext) -> None:
    """Set the steps directly: advance_step() would stamp them `now` and ask the gates that
    later features register (a passed willingness vote, …), which the demo fills in separately."""
    for code, timeline in TIMELINES.items():
        comm = ctx.communities[code]
        project = db.session.scalar(select(Project).where(Project.community_id == comm.id))
        committee = ctx.users[f"committee:{code}"]
        previous = ""
        for step in project.steps:
            span = timeline.get(step.key)
            if span is None:
                continue
            opened, closed = span
            step.started_at = ctx.at(opened, 9, 0)
            step.state = StepState.ACTIVE if closed is None else StepState.DONE
            ctx.audit(
                step.started_at,
                committee,
                "project.advance",
                community_id=comm.id,
                target=project,
                finished=previous,
                started=step.key,
            )
            if closed is not None:
                step.finished_at = ctx.at(closed, 9, 0)
            previous = step.key


# ---------------------------------------------------------------------------------------------
# Residents, their links and the invite slips they used


@dataclass
class _Link:
    user: User
    unit: Unit
    relation: str
    at: datetime
    status: str = ResidencyStatus.ACTIVE
    decided_at: datetime | None = None
    revoke_reason: str = ""
    residency: Residency | None = None


def seed_residents(ctx: SeedContext) -> None:
    links: dict[str, list[_Link]] = {XFL: _xfl_links(ctx), JSXC: _jsxc_links(ctx)}
    db.session.flush()
    for code, items in links.items():
        _materialise_links(ctx, ctx.communities[code], items)


def _owner_links(
    ctx: SeedContext, user: User, owner: Owner, start: datetime, end: datetime
) -> list[_Link]:
    """An owner links every unit they hold, each with its own slip, one evening; the account
    dates from the first."""
    at = ctx.between(start, end)
    user.created_at = user.privacy_accepted_at = at
    return [
        _Link(user, unit, Relation.OWNER, at + timedelta(minutes=3 * i))
        for i, unit in enumerate(sorted(owner.units, key=lambda u: u.id))
    ]


def _xfl_links(ctx: SeedContext) -> list[_Link]:
    code = XFL

    def unit(label: str) -> Unit:
        return ctx.unit_by_label[(code, label)]

    logins = {login.key: login for login in DEMO_LOGINS}
    t0 = ctx.at(XFL_TIMELINE["invites"] - 1, 19)
    links: list[_Link] = []

    def demo_user(key: str, days_ago: float, hour: int) -> User:
        login = logins[key]
        user = ctx.user(login.phone, login.name, ctx.at(days_ago, hour, 12))
        ctx.users[key] = user
        return user

    chair = ctx.users["committee:XFL"]
    links.append(_Link(chair, unit("1-1-301"), Relation.OWNER, t0 + timedelta(hours=1)))
    zhang = demo_user("owner:XFL", 286, 20)
    links += [
        _Link(zhang, unit("3-2-502"), Relation.OWNER, zhang.created_at),
        _Link(zhang, unit("5-1-301"), Relation.OWNER, zhang.created_at + timedelta(minutes=4)),
    ]
    daughter = demo_user("family:XFL", 279, 21)
    links.append(_Link(daughter, unit("3-2-502"), Relation.FAMILY, daughter.created_at))
    tenant = demo_user("tenant:XFL", 160, 20)
    links.append(_Link(tenant, unit("5-1-301"), Relation.TENANT, tenant.created_at))
    elder = demo_user("elder:XFL", 275, 10)  # her grandson set the phone up at the weekend
    links.append(_Link(elder, unit("2-1-101"), Relation.OWNER, elder.created_at))
    claimant = demo_user("pending:XFL", 2, 20)  # the register still has his father's number
    links.append(
        _Link(
            claimant,
            unit("4-2-402"),
            Relation.OWNER,
            claimant.created_at,
            status=ResidencyStatus.PENDING,
        )
    )

    # About a hundred more: most early owners sign up in the first weeks of the consultation.
    reserved = {lk.unit.owner_id for lk in links}
    candidates = [
        o
        for o in {u.owner for u in ctx.units[code]}
        if not o.is_developer and o.id not in reserved and o.phone
    ]
    candidates.sort(key=lambda o: o.id)
    chosen = ctx.rng.sample(candidates, 75)
    early_end = ctx.at(XFL_TIMELINE["consult"][1], 22)
    for i, owner in enumerate(chosen):
        if i < 8:  # signed up with a new number, so the committee had to confirm them
            start, end = t0, early_end
            phone = ctx.phone()
        elif i < 10:  # waiting right now
            start, end = ctx.at(6, 8), ctx.at(1, 22)
            phone = ctx.phone()
        elif i < 66:
            start, end = t0, early_end
            phone = owner.phone
        else:  # latecomers, through the later steps
            start, end = early_end, ctx.at(3, 22)
            phone = owner.phone
        owner_links = _owner_links(ctx, ctx.user(phone, owner.name, t0), owner, start, end)
        if i < 8:
            for lk in owner_links:
                lk.status = ResidencyStatus.ACTIVE
                lk.decided_at = ctx.between(
                    lk.at + timedelta(hours=14), lk.at + timedelta(hours=60)
                )
        elif i < 10:
            for lk in owner_links:
                lk.status = ResidencyStatus.PENDING
        links += owner_links

    # Family members, mostly of owners already online (their children sign them up).
    with_account = [lk for lk in links if lk.relation == Relation.OWNER]
    family_units = ctx.rng.sample(with_account, 22) + ctx.rng.sample(
        [u for u in ctx.units[code] if not u.owner.is_developer], 4
    )
    for item in family_units:
        target = item.unit if isinstance(item, _Link) else item
        after = item.at if isinstance(item, _Link) else t0
        at = ctx.between(after, ctx.at(2, 21))
        surname = target.owner.name[:1]
        name = ctx.name("young", surname if ctx.rng.random() < 0.7 else None)
        links.append(_Link(ctx.user(ctx.phone(), name, at), target, Relation.FAMILY, at))

    # Tenants, in flats whose owners live elsewhere (not on the app).
    taken = {lk.unit.id for lk in links}
    rentable = [u for u in ctx.units[code] if u.id not in taken and not u.owner.is_developer]
    for n, target in enumerate(ctx.rng.sample(rentable, 13)):
        moved_out = n == 0
        at = ctx.between(t0, ctx.at(200 if moved_out else 10, 21))
        lk = _Link(ctx.user(ctx.phone(), ctx.name("young"), at), target, Relation.TENANT, at)
        if moved_out:  # the committee removed the link when the lease ended
            lk.status = ResidencyStatus.REVOKED
            lk.decided_at = ctx.between(at + timedelta(days=60), ctx.at(30, 17))
            lk.revoke_reason = "租约到期已搬离"
        links.append(lk)
    return links


def _jsxc_links(ctx: SeedContext) -> list[_Link]:
    code = JSXC
    t0 = ctx.at(JSXC_TIMELINE["invites"] - 1, 19)
    login = next(lg for lg in DEMO_LOGINS if lg.key == "owner:JSXC")
    chen = ctx.user(login.phone, login.name, ctx.at(23, 20, 5))
    ctx.users[login.key] = chen
    links = [_Link(chen, ctx.unit_by_label[(code, "2-1-201")], Relation.OWNER, chen.created_at)]
    candidates = sorted(
        {u.owner for u in ctx.units[code] if not u.owner.is_developer and u.owner.phone}
        - {links[0].unit.owner},
        key=lambda o: o.id,
    )
    for owner in ctx.rng.sample(candidates, 12):
        links += _owner_links(ctx, ctx.user(owner.phone, owner.name, t0), owner, t0, ctx.at(1, 21))
    # One family member joins an owner already online; one tenant rents a flat.
    for relation, base in ((Relation.FAMILY, links[3]), (Relation.TENANT, None)):
        target = (
            base.unit
            if base
            else ctx.rng.choice([u for u in ctx.units[code] if not u.owner.is_developer])
        )
        at = ctx.between(t0, ctx.at(2, 21))
        links.append(_Link(ctx.user(ctx.phone(), ctx.name("young"), at), target, relation, at))
    return links


def _materialise_links(ctx: SeedContext, comm: Community, links: list[_Link]) -> None:
    """Write the links with the slips they used. Every unit gets a slip when the committee
    first prints them; a unit whose slip is used gets a new one when a second person signs up
    (accounts.create_invites issues codes for units without a usable one)."""
    committee = ctx.users[f"committee:{comm.code}"]
    issued = ctx.at(TIMELINES[comm.code]["invites"], 15)
    usable: dict[int, Invite] = {}
    for invite in accounts.create_invites(committee, comm):
        invite.created_at = issued
        usable[invite.unit_id] = invite
    ctx.adopt_audit(issued)

    links.sort(key=lambda lk: lk.at)
    last_used: dict[int, datetime] = {}
    # Later codes are issued in batches, one per wave of people whose home's slip was used,
    # after those slips were used and before the first of the wave signs up.
    for lk in links:
        if lk.unit.id not in usable:
            wave = [
                other
                for other in links
                if other.at >= lk.at and other.unit.id not in usable and other.residency is None
            ]
            units = sorted({other.unit.id for other in wave})
            at = max(
                lk.at - timedelta(hours=ctx.rng.randint(2, 96)),
                max(last_used.get(u, issued) for u in units),
                issued,
            )
            batch = accounts.create_invites(committee, comm, units)
            for invite in batch:
                invite.created_at = at
                usable[invite.unit_id] = invite
            ctx.adopt_audit(at)
        invite = usable.pop(lk.unit.id)
        invite.used_at = lk.at
        invite.used_by_id = lk.user.id
        last_used[lk.unit.id] = lk.at
        lk.residency = Residency(
            user_id=lk.user.id,
            unit_id=lk.unit.id,
            community_id=comm.id,
            relation=lk.relation,
            status=lk.status,
            invite_id=invite.id,
            created_at=lk.at,
            decided_at=lk.decided_at,
            decided_by_id=committee.id if lk.decided_at else None,
            revoke_reason=lk.revoke_reason,
        )
        db.session.add(lk.residency)
    db.session.flush()

    readers = ctx.readers.setdefault(comm.code, [])
    pending_link = url_for("committee.residents", code=comm.code, status="pending")
    staff_ids = notify.staff_user_ids(comm.id, Role.COMMITTEE)
    for lk in links:
        label = lk.unit.label()
        was_pending = lk.status == ResidencyStatus.PENDING or (
            lk.relation == Relation.OWNER
            and lk.status == ResidencyStatus.ACTIVE
            and lk.decided_at is not None
        )
        if was_pending:
            for uid in staff_ids:
                ctx.message(
                    uid,
                    notify.N_("An owner link waits for your confirmation: %(unit)s"),
                    lk.at,
                    community_id=comm.id,
                    link=pending_link,
                    params={"unit": label},
                    read_at=lk.decided_at,
                )
        if lk.status == ResidencyStatus.ACTIVE and lk.decided_at:
            ctx.audit(
                lk.decided_at,
                committee,
                "residency.confirm",
                community_id=comm.id,
                target=lk.residency,
                reason="",
            )
            ctx.message(
                lk.user.id,
                notify.N_("Your link to %(unit)s is confirmed."),
                lk.decided_at,
                community_id=comm.id,
                params={"unit": label},
                read_at=ctx.maybe_read(lk.decided_at, 0.95, 0.95),
            )
        elif lk.status == ResidencyStatus.REVOKED:
            ctx.audit(
                lk.decided_at,
                committee,
                "residency.revoke",
                community_id=comm.id,
                target=lk.residency,
                reason=lk.revoke_reason,
            )
            ctx.message(
                lk.user.id,
                notify.N_("Your link to %(unit)s was removed by the committee."),
                lk.decided_at,
                body=lk.revoke_reason,
                community_id=comm.id,
                params={"unit": label},
            )
        if lk.status != ResidencyStatus.PENDING:
            since = (
                lk.decided_at if lk.status == ResidencyStatus.ACTIVE and lk.decided_at else lk.at
            )
            until = lk.decided_at if lk.status == ResidencyStatus.REVOKED else None
            readers.append((lk.user.id, since, until))


def seed_invite_revocations(ctx: SeedContext) -> None:
    """Two XFL slips reported lost: the committee revoked them and printed new ones."""
    comm = ctx.communities[XFL]
    committee = ctx.users["committee:XFL"]
    unused = list(
        db.session.scalars(
            select(Invite)
            .where(
                Invite.community_id == comm.id,
                Invite.used_at.is_(None),
                Invite.revoked_at.is_(None),
            )
            .order_by(Invite.id)
        )
    )
    lost = ctx.rng.sample(unused, 2)
    at = ctx.at(XFL_TIMELINE["consult"][0] - 12, 16, 20)
    for invite in lost:
        invite.revoked_at = at
        ctx.audit(at, committee, "invite.revoke", community_id=comm.id, target=invite)
    for invite in accounts.create_invites(committee, comm, [i.unit_id for i in lost]):
        invite.created_at = at + timedelta(minutes=2)
    ctx.adopt_audit(at + timedelta(minutes=2))


# ---------------------------------------------------------------------------------------------
# Notice board and inbox


@dataclass(frozen=True)
class _NoticeSpec:
    days_ago: float
    hour: int
    author: str  # ctx.users key
    title: str
    body: str
    pinned: bool = False


def _xfl_notices(ctx: SeedContext) -> list[_NoticeSpec]:
    local_now = ctx.now.astimezone(CST)
    water_day = local_now + timedelta(days=2)
    weekday = "一二三四五六日"[water_day.weekday()]
    water = f"{water_day.month}月{water_day.day}日（周{weekday}）"
    return [
        _NoticeSpec(
            XFL_TIMELINE["consult"][0],
            9,
            "committee:XFL",
            "关于开展幸福里小区老旧小区改造意愿征询的公告",
            "各位业主、居民：\n\n我小区已列入本年度老旧小区改造计划。按照“居民自愿、共商共建”的原则，"
            "改造是否实施须由业主共同决定。即日起开展改造意愿征询，请各位业主通过“共建”平台或纸质表决票"
            "表达意见。\n\n征询期间，业委会将在小区活动室设咨询点（每周二、周六上午9:00–11:30）。"
            "不便使用手机的业主，工作人员将上门入户征询。\n\n幸福里小区业主委员会",
        ),
        _NoticeSpec(
            XFL_TIMELINE["consult"][0] - 12,
            10,
            "committee:XFL",
            "入户征询安排：请各户留意上门时间",
            "为方便老年业主参与，业委会和社区工作人员将分楼栋上门征询：\n"
            "1–2幢：本周六、周日上午；\n3–4幢：下周二、周四晚上7:00–8:30；\n5–6幢：下周六全天。\n\n"
            "工作人员佩戴工作证，不收取任何费用。如有疑问请致电业委会。",
        ),
        _NoticeSpec(
            XFL_TIMELINE["consult"][1] + 1,
            16,
            "committee:XFL",
            "业主大会决议公示：幸福里小区实施综合改造",
            "本次改造意愿表决已结束。参与表决的业主所持专有部分面积和人数均达到三分之二以上，"
            "同意实施改造的面积和人数均达到参与表决业主的四分之三以上，表决通过。\n\n"
            "表决结果及回执码清单已在平台公布，业主可凭回执码核对本户选票。公示期7天，"
            "如有异议请在公示期内向业委会书面提出。",
        ),
        _NoticeSpec(
            XFL_TIMELINE["plan"][0] - 22,
            9,
            "committee:XFL",
            "改造方案（征求意见稿）公示",
            "根据居民改造需求调查结果，设计单位编制了改造方案征求意见稿，主要内容：\n"
            "基础类：雨污分流、屋面防水、外墙保温及立面整治、楼道改造、弱电管线归整；\n"
            "完善类：增设电动自行车充电棚、道路及停车位改造、绿化补植、夜间照明；\n"
            "提升类：利用架空层设置老年活动室。\n\n"
            "方案及分户费用测算已在平台公布，公示7天，欢迎提出意见。",
        ),
        _NoticeSpec(
            XFL_TIMELINE["plan"][1] + 2,
            15,
            "committee:XFL",
            "业主大会决议公示：改造方案及费用分摊办法",
            "改造方案确认表决已结束，方案获通过。居民自筹部分按专有部分面积分摊，"
            "各户应分摊金额可在平台“责任共担”页查看。\n\n"
            "维修资金使用、以奖代补申报等事项将另行公告。公示期7天。",
        ),
        _NoticeSpec(
            XFL_TIMELINE["build"][0] + 2,
            9,
            "committee:XFL",
            "施工进场公告及施工期间安全须知",
            "改造工程将于近日进场施工，工期约六个月。施工时间为每日7:00–12:00、13:30–20:00，"
            "夜间（22:00至次日6:00）不施工，确需连续作业的将提前公告。\n\n"
            "请居民注意：不要进入围挡区域；看护好老人和儿童；电动车按临时停放点停放。"
            "发现施工问题请在平台“家园共建”中拍照反映，物业和施工单位将限时处理。",
            pinned=True,
        ),
        _NoticeSpec(
            40,
            14,
            "property:XFL",
            "施工期间垃圾清运及车辆停放调整的通知",
            "因道路改造，4–6幢门前道路分段封闭，机动车请临时停放在小区北侧停车场，"
            "大件垃圾临时堆放点移至2幢东侧。给大家带来不便，敬请谅解。\n\n幸福里物业服务中心",
        ),
        _NoticeSpec(
            1,
            17,
            "contractor:XFL",
            f"停水通知：{water}3–4幢",
            f"因给水管网改造接驳，定于{water}8:30–16:00对3幢、4幢停止供水，"
            "请住户提前做好储水准备。如遇特殊情况恢复供水时间顺延，将另行通知。\n\n"
            "施工单位项目部（现场联系人：孙工）",
        ),
    ]


def _jsxc_notices(ctx: SeedContext) -> list[_NoticeSpec]:
    return [
        _NoticeSpec(
            JSXC_TIMELINE["created"] - 3,
            10,
            "committee:JSXC",
            "建设新村列入老旧小区改造计划的公告",
            "经区住建局审核，建设新村列入本年度老旧小区改造计划。改造将按照意愿共商、方案共谋、"
            "责任共担、家园共建、成果共享五个步骤推进，每一步都请居民共同参与。\n\n"
            "社区将向每户发放“共建”平台邀请码，请凭邀请码注册并关联房屋。",
            pinned=True,
        ),
        _NoticeSpec(
            JSXC_TIMELINE["consult"][0],
            9,
            "committee:JSXC",
            "改造意愿征询及议题公示",
            "即日起公示改造意愿征询议题，公示期满后开始表决。表决期间可在线投票，"
            "也可填写纸质表决票交至社区。请各位业主关注平台消息。",
        ),
        _NoticeSpec(
            4,
            16,
            "committee:JSXC",
            "居民议事会通知：本周六上午社区活动室",
            "本周六上午9:00在社区活动室召开居民议事会，介绍改造政策和征询安排，"
            "听取大家对小区改造的想法。欢迎各楼栋居民参加。",
        ),
    ]


def seed_notices(ctx: SeedContext) -> None:
    """Notices with the inbox message post_notice() would have sent to everyone linked at the
    time; the notice board and the inbox agree."""
    demo_ids = {user.id for user in ctx.users.values()}
    for code, specs in ((XFL, _xfl_notices(ctx)), (JSXC, _jsxc_notices(ctx))):
        comm = ctx.communities[code]
        staff = [
            (m.user_id, aware(m.created_at))
            for m in db.session.scalars(
                select(Membership).where(Membership.community_id == comm.id)
            )
        ]
        for spec in specs:
            author = ctx.users[spec.author]
            at = ctx.at(spec.days_ago, spec.hour, ctx.rng.randint(0, 50))
            notice = Notice(
                community_id=comm.id,
                title=spec.title,
                body=spec.body,
                pinned=spec.pinned,
                author_id=author.id,
                created_at=at,
            )
            db.session.add(notice)
            db.session.flush()
            ctx.audit(
                at, author, "notice.post", community_id=comm.id, target=notice, title=spec.title
            )
            link = url_for("main.notice", code=code, notice_id=notice.id)
            recipients = {uid for uid, since in staff if since <= at}
            recipients |= {
                uid
                for uid, since, until in ctx.readers.get(code, [])
                if since <= at and (until is None or until > at)
            }
            for uid in sorted(recipients):
                if uid == author.id:
                    read = at
                elif uid in demo_ids and ctx.now - at < timedelta(days=7):
                    read = None  # the demo residents find this week's notices unread
                else:
                    read = ctx.maybe_read(at)
                ctx.message(
                    uid,
                    spec.title,
                    at,
                    community_id=comm.id,
                    body=spec.body[:300],
                    link=link,
                    read_at=read,
                )


def seed_personal_messages(ctx: SeedContext) -> None:
    """A few messages written to one person, so the demo residents' inboxes are not only
    copies of the notice board."""
    comm = ctx.communities[XFL]
    ctx.message(
        ctx.users["owner:XFL"].id,
        "3幢外墙施工搭设脚手架提醒",
        ctx.at(3, 11, 20),
        community_id=comm.id,
        body="张先生您好：3幢2单元外墙保温施工的脚手架将于本周搭设，请关好阳台窗户，"
        "晾晒衣物暂时收回。如有问题请在平台反映。——施工单位项目部",
    )
    ctx.message(
        ctx.users["elder:XFL"].id,
        "施工期间如需帮助，请联系楼道长",
        ctx.at(70, 10, 5),
        community_id=comm.id,
        body="李阿姨您好：施工期间出行如有不便，可联系2幢楼道长或业委会，我们会上门帮忙。",
        read_at=ctx.at(69, 9, 40),
    )
    ctx.message(
        ctx.users["tenant:XFL"].id,
        "5幢电动车充电棚位置征求意见",
        ctx.at(8, 19, 30),
        community_id=comm.id,
        body="您好：5幢旁电动车充电棚有两处备选位置（东山墙或北侧绿地），租户也可以提意见，"
        "请于本周日前回复物业服务中心。——幸福里物业服务中心",
    )


# The demo, in order; a feature package appends its own step to add its demo data.
SEED_STEPS: list[SeedStep] = [
    seed_communities,
    seed_staff,
    seed_registers,
    seed_project_steps,
    seed_residents,
    seed_invite_revocations,
    seed_notices,
    seed_personal_messages,
]


@dataclass(frozen=True)
class SeedSummary:
    communities: int
    buildings: int
    units: int
    owners: int
    multi_unit_owners: int
    accounts: int
    residencies: int
    invites: int
    notices: int
    messages: int
    audit_entries: int
    logins: tuple[DemoLogin, ...] = DEMO_LOGINS


FEATURE_SEEDS = ("consult", "ideas", "plan", "voting", "pledge", "build", "share")


def seed_demo(*, rng_seed: int = 2026, now: datetime | None = None) -> SeedSummary:
    """Write the demo into the current session (flushed, not committed: the caller commits)."""
    # Feature packages append their steps to SEED_STEPS when their seed module is imported;
    # imported here, not at the top, because they import this module. The order matters: topics
    # before votes, the plan before pledges (step 3), issue reports (4) and results (5).
    for package in FEATURE_SEEDS:
        importlib.import_module(f"participation.{package}.seed")

    ctx = SeedContext(
        now=now or utcnow(),
        rng=random.Random(rng_seed),
        # Hashing is deliberately slow; every demo account shares one hash of one password.
        password_hash=accounts.hash_password(DEMO_PASSWORD),
    )
    # Services and steps build links with url_for(), which needs a request outside a view.
    with current_app.test_request_context("/"):
        for step in SEED_STEPS:
            step(ctx)
        ctx.flush_records()
    return summarise()


def logins_table(logins: tuple[DemoLogin, ...] = DEMO_LOGINS, *, markdown: bool = False) -> str:
    """The demo logins as a plain-text table (for the CLI) or a Markdown one (for the README)."""
    header = ("phone", "password", "name", "role", "community", "what to try")
    rows = [
        (lg.phone, DEMO_PASSWORD, lg.name, lg.role, lg.community or "all", lg.try_this)
        for lg in logins
    ]
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        return "\n".join(lines)

    # CJK characters take two columns in a terminal; pad by display width.
    def width(text: str) -> int:
        return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)

    cols = len(header) - 1  # the last column is not padded
    widths = [max(width(r[i]) for r in [header, *rows]) for i in range(cols)]
    return "\n".join(
        "  ".join(cell + " " * (widths[i] - width(cell)) for i, cell in enumerate(row[:cols]))
        + "  "
        + row[cols]
        for row in [header, *rows]
    )


def summarise() -> SeedSummary:
    def count(column: Any) -> int:
        return db.session.scalar(select(func.count(column))) or 0

    multi = db.session.scalar(
        select(func.count()).select_from(
            select(Unit.owner_id).group_by(Unit.owner_id).having(func.count() > 1).subquery()
        )
    )
    return SeedSummary(
        communities=count(Community.id),
        buildings=count(Building.id),
        units=count(Unit.id),
        owners=count(Owner.id),
        multi_unit_owners=multi or 0,
        accounts=count(User.id),
        residencies=count(Residency.id),
        invites=count(Invite.id),
        notices=count(Notice.id),
        messages=count(Message.id),
        audit_entries=count(AuditEntry.id),
    )
