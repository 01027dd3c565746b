"""Step 1's demo votes, appended to participation.core.seed.SEED_STEPS after the topics
(participation.consult.seed).

幸福里 (XFL), step 1 done months ago:
* the willingness vote (special rule: renovation alters common parts; the whole community),
  open for eight weeks, CLOSED and PASSED with about 80% of owners and area taking part: online
  ballots (a few changed), paper ballots collected door to door (入户征询) on the days the notice
  board announced and imported as sheets the same evening, a few handed in at the committee's
  desk, one paper ballot superseded with a reason, two ballots cast by recorded proxies; sealed,
  the result posted. The demo owner 张伟民 voted online (his receipt shows), 李秀英 on paper;
* a lift for entrance 3-2 (custom rule: 2/3 of all owners of the entrance): CLOSED, FAILED, the
  ground and first floors against;
* an advisory poll on parking: CLOSED, counts only.
建设新村 (JSXC), step 1 opened 14 days ago: the willingness vote opened after the topic's 7-day
notice and closes in about ten days, turnout public, about a third of the owners have voted
(online and on paper); the demo owner 陈志明 has not, so he can try. A draft vote waits on the
topic still in its notice period.

Every ballot goes through the services (cast_ballot, import_paper_ballots, enter_paper_ballot,
record_proxy) at its moment of the story, in time order, so the sealed log is the order things
happened. Receipt codes come from `secrets`, like invite codes: the only part that differs
between two seeds with the same rng seed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from ..consult import services as consult_services
from ..consult.models import Topic
from ..consult.seed import (
    JSXC_CHARGING,
    JSXC_WILLINGNESS,
    XFL_LIFT,
    XFL_PARKING,
    XFL_WILLINGNESS,
    Resident,
    Timeline,
    acting_at,
    find_topic,
    residents_of,
)
from ..core.models import Building, Entrance, Owner, Relation, Unit, User
from ..core.seed import CST, JSXC, SEED_STEPS, XFL, SeedContext
from ..core.timeutil import aware
from ..extensions import db
from . import services
from .ballot_import import SheetRow
from .models import Vote, VoteElector
from .rules import Base

AGREE, DISAGREE, ABSTAIN = "agree", "disagree", "abstain"


# ---------------------------------------------------------------------------------------------
# Helpers


@dataclass(frozen=True)
class Elector:
    owner_id: int
    area_cents: int
    building: str
    entrance: str
    room: str  # of the owner's first unit in the scope (what a paper ballot names)
    floor: int  # lowest floor the owner holds in the scope
    developer: bool


def electors_of(vote: Vote) -> dict[int, Elector]:
    """The frozen electorate with where each owner lives, in two queries."""
    rows = db.session.execute(
        select(VoteElector.owner_id, VoteElector.area_cents, VoteElector.unit_ids).where(
            VoteElector.vote_id == vote.id
        )
    ).all()
    unit_ids = sorted({uid for _o, _a, ids in rows for uid in ids})
    where = {
        uid: (b, e, room)
        for uid, b, e, room in db.session.execute(
            select(Unit.id, Building.name, Entrance.name, Unit.room)
            .join(Entrance, Entrance.id == Unit.entrance_id)
            .join(Building, Building.id == Entrance.building_id)
            .where(Unit.id.in_(unit_ids))
        )
    }
    developers = set(
        db.session.scalars(
            select(Owner.id).where(Owner.community_id == vote.community_id, Owner.is_developer)
        )
    )
    electors = {}
    for owner_id, cents, ids in sorted(rows):
        first = where[min(ids)]
        electors[owner_id] = Elector(
            owner_id,
            int(cents),
            *first,
            floor=min(int(where[u][2][:-2]) for u in ids),
            developer=owner_id in developers,
        )
    return electors


def owner_accounts(ctx: SeedContext, code: str) -> dict[int, tuple[User, datetime]]:
    """Owner id -> the owner's own account and when its link started to count."""
    found: dict[int, tuple[int, datetime]] = {}
    for r in residents_of(ctx, code):
        if r.relation == Relation.OWNER and (
            r.owner_id not in found or r.since < found[r.owner_id][1]
        ):
            found[r.owner_id] = (r.user_id, r.since)
    return {oid: (db.session.get(User, uid), since) for oid, (uid, since) in sorted(found.items())}


def owner_of(ctx: SeedContext, code: str, label: str) -> int:
    return ctx.unit_by_label[(code, label)].owner_id


def split_choices(
    shuffle: Callable[[list[str]], None], n: int, shares: dict[str, float]
) -> list[str]:
    """Exactly `n` choices in the given shares (rounded; the rest abstain), shuffled: exact
    counts, so the story's outcome does not hang on the luck of the draw."""
    out: list[str] = []
    for choice, share in shares.items():
        out += [choice] * round(n * share)
    out = out[:n] + [ABSTAIN] * max(0, n - len(out))
    shuffle(out)
    return out


def local(day: date, hour: int, minute: int = 0) -> datetime:
    """A Beijing wall-clock moment, in UTC: SQLite keeps no offset, and the app reads a
    stored time as UTC."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=CST).astimezone(UTC)


def desk_days(start: datetime, end: datetime) -> list[datetime]:
    """The committee's desk in the activity room: Tuesday and Saturday mornings."""
    days = []
    day = start.astimezone(CST).date()
    while True:
        moment = local(day, 9, 30)
        if moment > end:
            return days
        if moment > start and day.weekday() in (1, 5):
            days.append(moment)
        day += timedelta(days=1)


def make_vote(ctx: SeedContext, topic: Topic, created: datetime, **fields: Any) -> Vote:
    committee = ctx.users[f"committee:{_code(ctx, topic)}"]
    with acting_at(ctx, created):
        vote = services.create_vote(committee, topic, **fields)
    vote.created_at = vote.updated_at = created  # create_vote stamps the real clock
    return vote


def _code(ctx: SeedContext, obj: Topic | Vote) -> str:
    return next(c for c, comm in ctx.communities.items() if comm.id == obj.community_id)


def open_at(ctx: SeedContext, vote: Vote, at: datetime) -> None:
    with acting_at(ctx, at):
        services.open_vote(ctx.users[f"committee:{_code(ctx, vote)}"], vote, now=at)


def close_at(ctx: SeedContext, vote: Vote, at: datetime) -> services.Tally:
    """Closed by the system at its closing time, as `flask close-due-votes` does."""
    with acting_at(ctx, at):
        return services.close_vote(None, vote, now=at)


def cast(
    vote: Vote, user: User, choice: str, at: datetime, owner_id: int | None = None
) -> Callable[[], services.CastResult]:
    return lambda: services.cast_ballot(user, vote, choice, owner_id=owner_id, now=at)


def online_moment(ctx: SeedContext, start: datetime, end: datetime) -> datetime:
    """Most owners vote within days of being able to; the rest some time before the end."""
    if ctx.rng.random() < 0.6:
        end = min(end, start + timedelta(days=4))
    return within(ctx, start, end)


def within(ctx: SeedContext, start: datetime, end: datetime) -> datetime:
    """ctx.between, which moves night-time moments into the day, kept inside [start, end]."""
    return max(start, min(ctx.between(start, end), end))


# ---------------------------------------------------------------------------------------------
# 幸福里: the willingness vote


def _xfl_willingness(ctx: SeedContext) -> None:
    rng = ctx.rng
    committee = ctx.users["committee:XFL"]
    topic = find_topic(ctx, XFL, XFL_WILLINGNESS)
    posted = aware(topic.posted_at)
    opens, closes = ctx.at(272, 9, 0), ctx.at(215, 18, 0)
    vote = make_vote(
        ctx,
        topic,
        posted + timedelta(days=1, hours=6),
        title="幸福里小区老旧小区改造意愿表决",
        question="您是否同意幸福里小区实施老旧小区综合改造？（具体改造内容和费用分摊方案另行公示、"
        "另行表决）",
        rule="special",
        opens_at=opens,
        closes_at=closes,
        turnout_public=True,
    )
    open_at(ctx, vote, opens)
    year = opens.astimezone(CST).year
    electors = electors_of(vote)
    accounts = owner_accounts(ctx, XFL)
    chair, zhang, li = (owner_of(ctx, XFL, lb) for lb in ("1-1-301", "3-2-502", "2-1-101"))
    timeline = Timeline(ctx)
    late = closes - timedelta(hours=3)

    # Two owners in hospital or away voted through somebody living in their flat (a child,
    # else a tenant) with a signed proxy form: people on the app early enough to be recorded.
    demo_users = {u.id for u in ctx.users.values()}
    latest = late - timedelta(days=5)
    candidates = sorted(
        (
            r
            for r in residents_of(ctx, XFL)
            if r.relation in (Relation.FAMILY, Relation.TENANT)
            and r.user_id not in demo_users
            and r.since < latest
            and r.owner_id in electors
            and not electors[r.owner_id].developer
            and r.owner_id not in {chair, zhang, li}
        ),
        # Children first, owners with no account of their own first, the earliest first.
        key=lambda r: (r.relation != Relation.FAMILY, r.owner_id in accounts, r.since, r.user_id),
    )
    proxies: dict[int, Resident] = {}  # owner -> who votes for them
    for r in candidates:
        if r.owner_id not in proxies and r.user_id not in {p.user_id for p in proxies.values()}:
            proxies[r.owner_id] = r
        if len(proxies) == 2:
            break
    evidence = {
        Relation.FAMILY: (
            "业主签字的授权委托书原件及业主身份证复印件已核验留存（业主长期住院，委托子女代为表决）",
            "授权委托书（业主在外地照顾孙辈，委托女儿代为表决），已电话向业主本人核实",
        ),
        Relation.TENANT: (
            "授权委托书（业主常住外地，委托租户代为表决），已电话向业主本人核实并留存通话记录",
            "授权委托书及业主身份证复印件（业主出国探亲，委托租户代为表决）",
        ),
    }

    # Who takes part: ~80% of the owners. The developer's unsold flats (several, large) stay
    # silent, so the share of the area runs a little behind the share of the owners.
    fixed = {chair, zhang, li, *proxies}
    heads = len(electors)
    target = round(heads * rng.uniform(0.81, 0.84))
    pool_online = [
        oid
        for oid, (_user, since) in accounts.items()
        if oid in electors and oid not in fixed and since < closes - timedelta(days=2)
    ]
    online = rng.sample(pool_online, round(len(pool_online) * 0.85))
    rest = sorted(
        oid
        for oid, el in electors.items()
        if not el.developer and oid not in fixed and oid not in online
    )
    paper = rng.sample(rest, max(0, target - len(fixed) - len(online)))
    everyone = sorted(fixed | set(online) | set(paper))
    choices = dict(
        zip(
            everyone,
            split_choices(rng.shuffle, len(everyone), {AGREE: 0.87, DISAGREE: 0.09}),
            strict=True,
        )
    )
    for oid in fixed:  # the demo owners and the two proxies agree; keep the totals exact
        if choices[oid] != AGREE:
            swap = next(o for o in everyone if o not in fixed and choices[o] == AGREE)
            choices[swap], choices[oid] = choices[oid], AGREE

    # Online, the chair first thing; 张伟民 the evening after it opened.
    first_light = opens + timedelta(minutes=12)
    timeline.add(first_light, cast(vote, accounts[chair][0], AGREE, first_light))
    timeline.add(ctx.at(271, 20, 36), cast(vote, accounts[zhang][0], AGREE, ctx.at(271, 20, 36)))
    changers = [o for o in online if choices[o] == AGREE][:3]
    for oid in online:
        user, since = accounts[oid]
        at = online_moment(ctx, max(opens, since) + timedelta(minutes=15), late)
        if oid in changers and at + timedelta(days=6) < late:
            # Said no at first, then changed their mind after the committee's answers.
            first = rng.choice((DISAGREE, ABSTAIN))
            timeline.add(at, cast(vote, user, first, at))
            at = within(ctx, at + timedelta(days=1), at + timedelta(days=6))
        timeline.add(at, cast(vote, user, choices[oid], at))

    # Proxies: recorded by the committee with the evidence, then used a day or two later.
    for n, (oid, proxy) in enumerate(sorted(proxies.items())):
        proxy_user = db.session.get(User, proxy.user_id)
        earliest = max(opens + timedelta(days=2 + 5 * n), proxy.since + timedelta(days=1))
        recorded = within(ctx, earliest, min(earliest + timedelta(days=4), latest))
        timeline.add(
            recorded,
            lambda o=oid, u=proxy_user, e=evidence[proxy.relation][n], t=recorded: (
                services.record_proxy(committee, vote, o, u, e, now=t)
            ),
        )
        used = within(ctx, recorded + timedelta(hours=20), recorded + timedelta(days=2))
        timeline.add(used, cast(vote, proxy_user, choices[oid], used, owner_id=oid))

    # Paper: door to door on the days the notice of day 270 announced (1–2幢 Saturday and
    # Sunday mornings, 3–4幢 Tuesday and Thursday evenings, 5–6幢 the next Saturday), each
    # day's sheet imported that evening; a few more handed in at the desk later.
    notice_day = ctx.at(270, 10).astimezone(CST).date()
    saturday = notice_day + timedelta(days=(5 - notice_day.weekday()) % 7 or 7)
    rounds = {
        "1": [saturday, saturday + timedelta(days=1)],
        "2": [saturday, saturday + timedelta(days=1)],
        "3": [saturday + timedelta(days=3), saturday + timedelta(days=5)],
        "4": [saturday + timedelta(days=3), saturday + timedelta(days=5)],
        "5": [saturday + timedelta(days=7)],
        "6": [saturday + timedelta(days=7)],
    }
    sheets: dict[date, list[int]] = {}
    at_desk: list[int] = []
    for oid in sorted({li, *paper}):
        if oid != li and rng.random() < 0.15:
            at_desk.append(oid)
        else:
            sheets.setdefault(rng.choice(rounds[electors[oid].building]), []).append(oid)
    ref = iter(range(1, 10_000))
    corrected: int | None = None  # a ballot the owner later re-signed in person
    for day, owners in sorted(sheets.items()):
        rows = []
        for i, oid in enumerate(owners):
            el = electors[oid]
            choice = choices[oid]
            if corrected is None and oid != li and choice == AGREE:
                corrected, choice = oid, ABSTAIN
            rows.append(
                SheetRow(
                    i + 2, el.building, el.entrance, el.room, choice, f"XFL-{year}-{next(ref):03d}"
                )
            )
        evening = local(day, 20, 40)
        timeline.add(evening, _importer(committee, vote, rows, evening))
    desk = desk_days(local(saturday, 12), late)
    for oid in at_desk:
        at = rng.choice(desk) + timedelta(minutes=rng.randint(0, 120))
        number = f"XFL-{year}-{next(ref):03d}"
        timeline.add(
            at,
            lambda o=oid, r=number, t=at: services.enter_paper_ballot(
                committee, vote, choices[o], r, owner_id=o, now=t
            ),
        )
    if corrected is not None:
        at = desk[len(desk) // 2] + timedelta(minutes=50)
        number = f"XFL-{year}-{next(ref):03d}"
        timeline.add(
            at,
            lambda r=number, t=at: services.enter_paper_ballot(
                committee,
                vote,
                AGREE,
                r,
                owner_id=corrected,
                supersede_reason="入户征询时由业主家属代填“弃权”；产权人本人到咨询点重新填写"
                "表决票并签字确认，以本人意见为准",
                now=t,
            ),
        )
    timeline.run()

    result = close_at(ctx, vote, closes)
    if not result.outcome.passed:  # the rest of the demo (steps 2–4) rests on it
        raise RuntimeError("demo seed: the XFL willingness vote did not pass")
    with acting_at(ctx, ctx.at(213, 17, 20)):
        consult_services.close_topic(committee, topic, now=ctx.at(213, 17, 20))


def _importer(
    committee: User, vote: Vote, rows: list[SheetRow], at: datetime
) -> Callable[[], None]:
    def run() -> None:
        report = services.import_paper_ballots(committee, vote, rows, now=at)
        if not report.ok:
            raise RuntimeError(f"demo seed: paper sheet refused: {report.errors[:3]}")

    return run


# ---------------------------------------------------------------------------------------------
# 幸福里: the lift for entrance 3-2 (fails) and the parking poll (advisory)


def _xfl_lift(ctx: SeedContext) -> None:
    rng = ctx.rng
    committee = ctx.users["committee:XFL"]
    topic = find_topic(ctx, XFL, XFL_LIFT)
    entrance = ctx.unit_by_label[(XFL, "3-2-502")].entrance_id
    opens, closes = ctx.at(246, 9, 0), ctx.at(232, 18, 0)
    vote = make_vote(
        ctx,
        topic,
        ctx.at(249, 16, 0),
        title="3幢2单元加装电梯表决",
        question="您是否同意3幢2单元按议题所附方案加装电梯？（费用按楼层系数分摊，一楼不分摊）",
        rule="custom",
        custom=services.CustomRule(approval="2/3", base=Base.ELECTORATE),
        scope_kind="entrance",
        scope_ids=[entrance],
        opens_at=opens,
        closes_at=closes,
        turnout_public=True,
    )
    open_at(ctx, vote, opens)
    year = opens.astimezone(CST).year
    electors = electors_of(vote)
    accounts = owner_accounts(ctx, XFL)
    zhang = owner_of(ctx, XFL, "3-2-502")
    # The ground floor against (light, noise, no use for a lift), the first floor split, the
    # floors above for it except one owner abroad who never voted: short of 2/3 of all owners.
    people = sorted(
        (el for el in electors.values() if not el.developer), key=lambda el: (el.floor, el.room)
    )
    plan: dict[int, str] = {}
    for el in people:
        if el.floor == 1:
            plan[el.owner_id] = DISAGREE
        elif el.floor == 2:
            plan[el.owner_id] = rng.choice((DISAGREE, ABSTAIN))
        else:
            plan[el.owner_id] = AGREE
    abroad = [el.owner_id for el in people if el.floor >= 3 and el.owner_id != zhang]
    plan.pop(rng.choice(abroad))
    total = sum(el.area_cents for el in electors.values())
    while True:  # with any register, the story is that it fails
        agree = [o for o, c in plan.items() if c == AGREE]
        area = sum(electors[o].area_cents for o in agree)
        if 3 * len(agree) < 2 * len(electors) and 3 * area < 2 * total:
            break
        plan[next(o for o in agree if o != zhang)] = ABSTAIN

    timeline = Timeline(ctx)
    ref = iter(range(1, 100))
    for oid, choice in sorted(plan.items()):
        account = accounts.get(oid)
        if account and account[1] < closes - timedelta(days=3):
            at = online_moment(
                ctx, max(opens, account[1]) + timedelta(minutes=10), closes - timedelta(hours=1)
            )
            timeline.add(at, cast(vote, account[0], choice, at))
        else:  # collected at the door by the entrance's building leader
            at = within(ctx, opens + timedelta(days=1), closes - timedelta(days=1))
            number = f"XFL-{year}-DT{next(ref):02d}"
            timeline.add(
                at,
                lambda o=oid, c=choice, r=number, t=at: services.enter_paper_ballot(
                    committee, vote, c, r, owner_id=o, now=t
                ),
            )
    timeline.run()
    result = close_at(ctx, vote, closes)
    if result.outcome.passed is not False:
        raise RuntimeError("demo seed: the XFL lift vote should have failed")
    with acting_at(ctx, ctx.at(230, 10, 5)):
        consult_services.close_topic(committee, topic, now=ctx.at(230, 10, 5))


def _xfl_parking_poll(ctx: SeedContext) -> None:
    rng = ctx.rng
    committee = ctx.users["committee:XFL"]
    topic = find_topic(ctx, XFL, XFL_PARKING)
    opens, closes = ctx.at(242, 9, 0), ctx.at(235, 20, 0)
    vote = make_vote(
        ctx,
        topic,
        ctx.at(245, 15, 30),
        title="停车位改造意见征集",
        question="您是否支持将小区北侧部分绿地改建为生态停车位（植草砖铺设，保留现有乔木）？",
        rule="advisory",
        opens_at=opens,
        closes_at=closes,
        turnout_public=True,
    )
    open_at(ctx, vote, opens)
    year = opens.astimezone(CST).year
    electors = electors_of(vote)
    accounts = owner_accounts(ctx, XFL)
    weights = {AGREE: 0.55, DISAGREE: 0.3, ABSTAIN: 0.15}
    timeline = Timeline(ctx)
    pool = [
        o
        for o, (_u, since) in accounts.items()
        if o in electors and since < closes - timedelta(days=1)
    ]
    for oid in rng.sample(pool, round(len(pool) * 0.65)):
        user, since = accounts[oid]
        at = online_moment(
            ctx, max(opens, since) + timedelta(minutes=10), closes - timedelta(hours=1)
        )
        choice = rng.choices(list(weights), list(weights.values()))[0]
        timeline.add(at, cast(vote, user, choice, at))
    desk = desk_days(opens, closes)
    offline = sorted(o for o, el in electors.items() if not el.developer and o not in accounts)
    for n, oid in enumerate(rng.sample(offline, 9), start=1):
        at = rng.choice(desk) + timedelta(minutes=rng.randint(0, 110))
        choice = rng.choices(list(weights), list(weights.values()))[0]
        timeline.add(
            at,
            lambda o=oid, c=choice, r=f"XFL-{year}-P{n:02d}", t=at: services.enter_paper_ballot(
                committee, vote, c, r, owner_id=o, now=t
            ),
        )
    timeline.run()
    close_at(ctx, vote, closes)


# ---------------------------------------------------------------------------------------------
# 建设新村: the willingness vote, open now


def _jsxc_votes(ctx: SeedContext) -> None:
    rng = ctx.rng
    committee = ctx.users["committee:JSXC"]
    topic = find_topic(ctx, JSXC, JSXC_WILLINGNESS)
    opens = aware(topic.posted_at) + timedelta(days=topic.notice_days, minutes=25)
    closes = local((ctx.now + timedelta(days=10)).astimezone(CST).date(), 18)
    vote = make_vote(
        ctx,
        topic,
        ctx.at(12, 15, 10),
        title="建设新村老旧小区改造意愿表决",
        question="您是否同意建设新村实施老旧小区综合改造？（具体改造内容和费用分摊方案另行公示、"
        "另行表决）",
        rule="special",
        opens_at=opens,
        closes_at=closes,
        turnout_public=True,
    )
    open_at(ctx, vote, opens)
    year = opens.astimezone(CST).year
    electors = electors_of(vote)
    accounts = owner_accounts(ctx, JSXC)
    chen = owner_of(ctx, JSXC, "2-1-201")  # the demo owner has not voted yet
    now = ctx.now - timedelta(minutes=30)
    target = round(len(electors) * rng.uniform(0.34, 0.37))
    pool = [
        o
        for o, (_u, since) in accounts.items()
        if o in electors and o != chen and since < now - timedelta(hours=6)
    ]
    online = rng.sample(pool, round(len(pool) * 0.8))
    offline = sorted(
        o
        for o, el in electors.items()
        if not el.developer and o != chen and o not in online and o not in accounts
    )
    paper = rng.sample(offline, max(0, target - len(online)))
    everyone = sorted([*online, *paper])
    choices = dict(
        zip(
            everyone,
            split_choices(rng.shuffle, len(everyone), {AGREE: 0.84, DISAGREE: 0.1}),
            strict=True,
        )
    )
    timeline = Timeline(ctx)
    for oid in online:
        user, since = accounts[oid]
        at = online_moment(ctx, max(opens, since) + timedelta(minutes=10), now)
        timeline.add(at, cast(vote, user, choices[oid], at))
    # Community workers went door to door on two evenings and entered each sheet that night;
    # a few owners brought their ballot to the community office.
    ref = iter(range(1, 10_000))
    rounds = [ctx.at(5, 21, 10), ctx.at(2, 21, 20)]
    sheets: dict[int, list[int]] = {0: [], 1: []}
    office: list[int] = []
    for oid in paper:
        roll = rng.random()
        if roll < 0.15:
            office.append(oid)
        else:
            sheets[0 if roll < 0.6 else 1].append(oid)
    for n, owners in sheets.items():
        rows = [
            SheetRow(
                i + 2,
                electors[o].building,
                electors[o].entrance,
                electors[o].room,
                choices[o],
                f"JSXC-{year}-{next(ref):03d}",
            )
            for i, o in enumerate(sorted(owners))
        ]
        if rows:
            timeline.add(rounds[n], _importer(committee, vote, rows, rounds[n]))
    for oid in office:
        at = ctx.at(rng.choice((6, 4, 3, 1)), rng.randint(9, 16), rng.randint(0, 59))
        number = f"JSXC-{year}-{next(ref):03d}"
        timeline.add(
            at,
            lambda o=oid, r=number, t=at: services.enter_paper_ballot(
                committee, vote, choices[o], r, owner_id=o, now=t
            ),
        )
    timeline.run()

    # The charging-shed topic is still in its notice period: its vote waits as a draft, and
    # opening it now is refused until the notice period ends.
    charging = find_topic(ctx, JSXC, JSXC_CHARGING)
    planned = aware(charging.posted_at) + timedelta(days=charging.notice_days, hours=1)
    make_vote(
        ctx,
        charging,
        ctx.at(2, 16, 40),
        title="关于建设电动自行车集中充电棚的表决",
        question="您是否同意在2幢与3幢之间的闲置空地建设电动自行车集中充电棚（占用共有部分并改变"
        "其用途）？",
        rule="special",
        opens_at=planned,
        closes_at=planned + timedelta(days=14),
        turnout_public=True,
    )


def seed_votes(ctx: SeedContext) -> None:
    """Step 1's votes in both communities (see the module docstring), in the order they ran."""
    _xfl_willingness(ctx)
    _xfl_parking_poll(ctx)
    _xfl_lift(ctx)
    _jsxc_votes(ctx)


SEED_STEPS.append(seed_votes)
