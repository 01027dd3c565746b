"""The per-community data version (core/cache.py): every committed write to a community's rows
raises it by one, in the same transaction, whichever way the write went (ORM flush, bulk ORM or
Core statement through the session, an explicit bump); a rollback leaves it. And the cache of
page sections keyed by it: kept while nothing changed, rebuilt after any write, never across
communities re-created under the same id, bounded."""

from __future__ import annotations

import time
from datetime import timedelta
from decimal import Decimal

import flask_babel
import pytest
from flask import render_template_string
from sqlalchemy import delete, event, insert, select, text, update

from participation.build.models import Issue, IssueEvent
from participation.consult.models import Comment, Topic, TopicStatus
from participation.core import cache
from participation.core.models import (
    Building,
    Community,
    Entrance,
    Invite,
    Message,
    Notice,
    Owner,
    Unit,
    User,
)
from participation.core.timeutil import utcnow
from participation.ideas.models import Idea, IdeaSupport
from participation.plan.models import ChoiceRound, HouseholdPick, MenuItem, PlanLine, PlanSource
from participation.pledge.models import Pledge
from participation.share.models import CitySummary, Rating, RatingItem, RatingRound, RatingScore
from participation.voting.models import Ballot, VoteProxy
from tests import factories
from tests.share import helpers as share_helpers


def version(db, community_id: int) -> int:
    # A column, not the entity: never the identity map's copy.
    return db.session.execute(
        select(Community.data_version).where(Community.id == community_id)
    ).scalar_one()


def versions(db, *communities) -> list[int]:
    return [version(db, c if isinstance(c, int) else c.id) for c in communities]


class Statements:
    """Counts the UPDATEs of the community table while active."""

    def __init__(self, db):
        self.engine = db.engine
        self.seen: list[str] = []

    def _before(self, conn, cursor, statement, *args):
        self.seen.append(statement)

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._before)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._before)

    @property
    def bumps(self) -> int:
        return sum(1 for s in self.seen if s.lstrip().upper().startswith("UPDATE COMMUNITY"))


@pytest.fixture()
def other(db, community):
    comm = factories.community(db.session, code="T02", buildings=1, entrances=1, per_entrance=2)
    db.session.commit()
    return comm


@pytest.fixture()
def world(db, community, other):
    """One row of every kind the bulk statements of the app write, in T01."""
    s = db.session
    user = factories.user(s)
    unit = s.scalars(
        select(Unit).where(Unit.community_id == community.id).order_by(Unit.id)
    ).first()
    topic = Topic(community_id=community.id, title="议题", status=TopicStatus.POSTED)
    s.add(topic)
    s.flush()
    comment = Comment(topic_id=topic.id, user_id=user.id, body="评论")
    idea = Idea(community_id=community.id, author_id=user.id, title="点子", body="内容")
    s.add_all([comment, idea])
    s.flush()
    s.add(IdeaSupport(idea_id=idea.id, user_id=user.id))
    now = utcnow()
    issue = Issue(
        community_id=community.id,
        reporter_id=user.id,
        category="noise",
        urgency="normal",
        party="property",
        description="吵",
        ack_due=now + timedelta(days=1),
        resolve_due=now + timedelta(days=3),
    )
    round_ = RatingRound(community_id=community.id, closes_at=now + timedelta(days=7))
    s.add_all([issue, round_])
    s.flush()
    item = RatingItem(round_id=round_.id, position=1, name_zh="电梯")
    item2 = RatingItem(round_id=round_.id, position=2, name_zh="外墙")
    rating = Rating(round_id=round_.id, unit_id=unit.id, user_id=user.id, overall=4)
    s.add_all([item, item2, rating])
    s.flush()
    s.add(RatingScore(rating_id=rating.id, item_id=item.id, score=5))
    plan = share_helpers.plan(s, community)
    menu = MenuItem(community_id=community.id, category="improvement", name_zh="电梯")
    survey = ChoiceRound(community_id=community.id, closes_at=now + timedelta(days=7), max_picks=3)
    s.add_all([menu, survey])
    s.flush()
    s.add(HouseholdPick(round_id=survey.id, unit_id=unit.id, menu_item_id=menu.id))
    invite = Invite(code="ABCD2345", unit_id=unit.id, community_id=community.id)
    s.add(invite)
    vote = share_helpers.closed_vote(s, community)
    s.add(VoteProxy(vote_id=vote.id, owner_id=unit.owner_id, proxy_user_id=user.id, evidence="…"))
    s.add(Notice(community_id=community.id, title="通知", body="…"))
    s.commit()
    return {
        "user": user.id,
        "unit": unit.id,
        "owner": unit.owner_id,
        "comment": comment.id,
        "idea": idea.id,
        "issue": issue.id,
        "round": round_.id,
        "item": item.id,
        "item2": item2.id,
        "rating": rating.id,
        "plan": plan.id,
        "survey": survey.id,
        "menu": menu.id,
        "invite": invite.id,
        "vote": vote.id,
        "building": unit.entrance.building_id,
        "entrance": unit.entrance_id,
    }


# ---------------------------------------------------------------------------------------------
# ORM flushes


def test_orm_insert_update_delete_of_a_community_row(db, community, other):
    start, other_start = versions(db, community, other)
    notice = Notice(community_id=community.id, title="停水", body="明天停水")
    db.session.add(notice)
    db.session.commit()
    assert versions(db, community, other) == [start + 1, other_start]
    notice.title = "停水通知"
    db.session.commit()
    assert versions(db, community, other) == [start + 2, other_start]
    db.session.delete(notice)
    db.session.commit()
    assert versions(db, community, other) == [start + 3, other_start]
    # The community itself.
    other.name = "改名"
    db.session.commit()
    assert versions(db, community, other) == [start + 3, other_start + 1]


def _comment(db, w):
    return Comment(
        topic_id=db.session.get(Comment, w["comment"]).topic_id, user_id=w["user"], body="又一条"
    )


def _pledge(db, w):
    unit = db.session.get(Unit, w["unit"])
    return Pledge(
        community_id=unit.community_id,
        unit_id=unit.id,
        user_id=w["user"],
        token="t" * 32,
        kind="money",
        amount=Decimal("100.00"),
    )


def _issue_event(db, w):
    return IssueEvent(issue_id=w["issue"], kind="comment", status="submitted")


def _rating_score(db, w):
    db.session.execute(delete(RatingScore))  # one score per rating and item
    return RatingScore(rating_id=w["rating"], item_id=w["item"], score=2)


@pytest.mark.parametrize("make", [_comment, _pledge, _issue_event, _rating_score])
@pytest.mark.parametrize("loaded", [True, False], ids=["parents-loaded", "parents-not-loaded"])
def test_orm_writes_of_child_rows(db, community, other, world, make, loaded):
    """Rows without a community_id reach it through their foreign keys, in memory when the
    parents are loaded, else by a sub-select of the one UPDATE."""
    community, other = community.id, other.id
    if not loaded:
        db.session.expunge_all()
    start, other_start = versions(db, community, other)
    row = make(db, world)
    db.session.add(row)
    db.session.commit()
    assert versions(db, community, other) == [start + 1, other_start]
    model, ident = type(row), row.id
    db.session.expunge_all()  # deleted below without its parents in memory
    row = db.session.get(model, ident)
    db.session.delete(row)
    db.session.commit()
    assert versions(db, community, other) == [start + 2, other_start]


def test_a_rollback_leaves_the_version(db, community):
    start = version(db, community.id)
    db.session.add(Notice(community_id=community.id, title="草稿", body="…"))
    db.session.flush()
    db.session.rollback()
    assert version(db, community.id) == start
    db.session.commit()  # nothing pending any more
    assert version(db, community.id) == start


def test_one_update_per_transaction_and_none_without_writes(db, community, world):
    start = version(db, community.id)
    with Statements(db) as seen:
        for n in range(3):
            db.session.add(Notice(community_id=community.id, title=f"第{n}条", body="…"))
            db.session.flush()
        db.session.execute(update(Issue).where(Issue.id == world["issue"]).values(spot="门口"))
        db.session.commit()
    assert seen.bumps == 1 and version(db, community.id) == start + 1
    with Statements(db) as seen:
        db.session.get(User, world["user"]).name = "改名"  # a user belongs to no community
        db.session.commit()
        db.session.commit()
    assert seen.bumps == 0 and version(db, community.id) == start + 1


def test_a_savepoint_commits_with_its_transaction(db, community):
    start = version(db, community.id)
    with db.session.begin_nested():
        db.session.add(Notice(community_id=community.id, title="一", body="…"))
    assert version(db, community.id) == start  # not yet: the transaction has not committed
    db.session.commit()
    assert version(db, community.id) == start + 1


# ---------------------------------------------------------------------------------------------
# Statements run through the session: every bulk write of the app, as its code writes it


def _rows(db, table, **where):
    return db.session.execute(select(table).filter_by(**where)).all()


BULK = {
    # consult/services.py report_comment
    "comment report count": lambda db, w: db.session.execute(
        update(Comment)
        .where(Comment.id == w["comment"])
        .values(report_count=Comment.report_count + 1)
        .execution_options(synchronize_session=False)
    ),
    # ideas/services.py _bump (support, unsupport) and report
    "idea support count": lambda db, w: db.session.execute(
        update(Idea)
        .where(Idea.id == w["idea"])
        .values(support_count=Idea.support_count + 1)
        .execution_options(synchronize_session=False)
    ),
    # ideas/services.py unsupport
    "idea support delete": lambda db, w: db.session.execute(
        delete(IdeaSupport).where(
            IdeaSupport.idea_id == w["idea"], IdeaSupport.user_id == w["user"]
        )
    ),
    # build/services.py me_too
    "issue me too count": lambda db, w: db.session.execute(
        update(Issue).where(Issue.id == w["issue"]).values(me_too_count=Issue.me_too_count + 1)
    ),
    # share/ratings.py save_rating (a changed rating)
    "rating scores delete": lambda db, w: db.session.execute(
        delete(RatingScore).where(RatingScore.rating_id == w["rating"])
    ),
    # plan/plans.py save_plan
    "plan lines delete": lambda db, w: db.session.execute(
        delete(PlanLine).where(PlanLine.plan_id == w["plan"])
    ),
    "plan sources delete": lambda db, w: db.session.execute(
        delete(PlanSource).where(PlanSource.plan_id == w["plan"])
    ),
    # plan/survey.py save_picks
    "household picks delete": lambda db, w: db.session.execute(
        delete(HouseholdPick).where(
            HouseholdPick.round_id == w["survey"], HouseholdPick.unit_id == w["unit"]
        )
    ),
    # core/services/accounts.py sign-up: the invite claimed
    "invite claim": lambda db, w: db.session.execute(
        update(Invite)
        .where(Invite.id == w["invite"], Invite.used_at.is_(None), Invite.revoked_at.is_(None))
        .values(used_at=utcnow(), used_by_id=w["user"])
    ),
    # voting/services.py delete_draft_vote
    "vote proxies delete": lambda db, w: db.session.execute(
        delete(VoteProxy).where(VoteProxy.vote_id == w["vote"])
    ),
    # consult/seed.py: a WHERE that names no row: the community is selected first
    "notices dated": lambda db, w: db.session.execute(
        update(Notice).where(Notice.id > 0).values(created_at=utcnow())
    ),
    # core/services/register.py _write: bulk INSERT and UPDATE by primary key
    "owners insert": lambda db, w: db.session.execute(
        insert(Owner).returning(Owner.id, Owner.key),
        [{"community_id": db.session.get(Unit, w["unit"]).community_id, "key": "N-1"}],
    ).all(),
    "owners update": lambda db, w: db.session.execute(
        update(Owner), [{"id": w["owner"], "name": "新名字"}]
    ),
    "buildings update": lambda db, w: db.session.execute(
        update(Building), [{"id": w["building"], "sort_key": "000009"}]
    ),
    "entrances insert": lambda db, w: db.session.execute(
        insert(Entrance).returning(Entrance.id),
        [{"building_id": w["building"], "name": "9", "sort_key": "000009"}],
    ).all(),
    "entrances update": lambda db, w: db.session.execute(
        update(Entrance), [{"id": w["entrance"], "sort_key": "000008"}]
    ),
    "units update": lambda db, w: db.session.execute(
        update(Unit), [{"id": w["unit"], "owner_id": w["owner"], "sort_key": "000007"}]
    ),
    # share/seed.py
    "ratings insert": lambda db, w: db.session.execute(
        insert(Rating),
        [{"round_id": w["round"], "unit_id": w["unit"] + 1, "user_id": None, "overall": 3}],
    ),
    "rating scores insert": lambda db, w: db.session.execute(
        insert(RatingScore), [{"rating_id": w["rating"], "item_id": w["item2"], "score": 1}]
    ),
    "pledges insert": lambda db, w: db.session.execute(
        insert(Pledge),
        [
            {
                "community_id": db.session.get(Unit, w["unit"]).community_id,
                "unit_id": w["unit"],
                "token": "s" * 32,
                "kind": "money",
                "amount": Decimal("5.00"),
            }
        ],
    ),
}


@pytest.mark.parametrize("name", sorted(BULK))
@pytest.mark.parametrize("loaded", [True, False], ids=["rows-loaded", "rows-not-loaded"])
def test_bulk_statements_bump_their_community(db, community, other, world, name, loaded):
    community, other = community.id, other.id
    if loaded:  # what the service has in memory when it writes
        for model, key in ((Comment, "comment"), (Idea, "idea"), (Issue, "issue")):
            db.session.get(model, world[key])
    else:
        db.session.expunge_all()
    start, other_start = versions(db, community, other)
    BULK[name](db, world)
    db.session.commit()
    assert versions(db, community, other) == [start + 1, other_start]


def test_an_insert_from_a_select_bumps_every_community(db, community, other, world):
    start, other_start = versions(db, community, other)
    db.session.execute(
        insert(Notice).from_select(
            ["community_id", "title", "body", "kind", "pinned", "created_at", "link"],
            select(
                Notice.community_id,
                Notice.title,
                Notice.body,
                Notice.kind,
                Notice.pinned,
                Notice.created_at,
                Notice.link,
            ),
        )
    )
    db.session.commit()
    assert versions(db, community, other) == [start + 1, other_start + 1]


def test_a_raw_write_bumps_when_told(db, community, other, world):
    start, other_start = versions(db, community, other)
    db.session.execute(text("UPDATE notice SET pinned = :p"), {"p": True})
    cache.bump([community.id])
    db.session.commit()
    assert versions(db, community, other) == [start + 1, other_start]
    db.session.execute(text("UPDATE notice SET pinned = :p"), {"p": False})
    cache.bump()  # unknown: every community
    db.session.commit()
    assert versions(db, community, other) == [start + 2, other_start + 1]


def test_untracked_tables_do_not_bump(db, community, other, world):
    """The ballots (the cast stays one statement), the inbox and the city summary."""
    start, other_start = versions(db, community, other)
    with Statements(db) as seen:
        db.session.execute(
            insert(Message),
            [{"user_id": world["user"], "community_id": community.id, "title": "t"}],
        )
        db.session.execute(Message.__table__.update().values(read_at=utcnow()))
        db.session.execute(delete(CitySummary))
        db.session.execute(delete(Ballot).where(Ballot.vote_id == world["vote"]))
        db.session.commit()
    assert seen.bumps == 0
    assert versions(db, community, other) == [start, other_start]


# ---------------------------------------------------------------------------------------------
# The cache of sections


@pytest.fixture()
def req(app, db):
    with app.test_request_context("/"):
        yield


def _counting(value="v"):
    calls = []

    def build():
        calls.append(1)
        return f"{value}{len(calls)}"

    return build, calls


def test_a_section_is_kept_until_the_community_changes(app, db, community, other, req):
    build, calls = _counting()
    assert cache.cached_section(community, "s", build) == "v1"
    assert cache.cached_section(community, "s", build) == "v1"
    assert cache.cached_section(community, "s", build, "other key") == "v2"
    assert cache.cached_section(other, "s", build) == "v3"  # another community
    assert len(calls) == 3
    db.session.add(Notice(community_id=community.id, title="新", body="…"))
    # Not committed yet: this session sees its own write, the cache is not used.
    assert cache.cached_section(community, "s", build) == "v4"
    db.session.commit()
    assert cache.cached_section(community, "s", build) == "v5"
    assert cache.cached_section(community, "s", build) == "v5"
    assert cache.cached_section(other, "s", build) == "v3"  # untouched


def test_a_section_expires(app, db, community, req, monkeypatch):
    build, calls = _counting()
    cache.cached_section(community, "s", build)
    monkeypatch.setitem(app.config, "SECTION_CACHE_MAX_AGE", 0)
    cache.cached_section(community, "t", build)
    cache.cached_section(community, "t", build)
    assert len(calls) == 3

    def until(when):
        def build_until():
            cache.valid_until(when)
            return build()

        return build_until

    monkeypatch.setitem(app.config, "SECTION_CACHE_MAX_AGE", 300)
    cache.cached_section(community, "u", until(utcnow() - timedelta(hours=1)))  # past: ignored
    cache.cached_section(community, "u", until(utcnow() - timedelta(hours=1)))
    assert len(calls) == 4
    soon = utcnow() + timedelta(milliseconds=100)
    cache.cached_section(community, "w", until(soon))
    cache.cached_section(community, "w", until(soon))
    assert len(calls) == 5
    time.sleep(0.15)
    cache.cached_section(community, "w", until(soon))
    assert len(calls) == 6


def test_the_cache_can_be_turned_off(app, db, community, req, monkeypatch):
    monkeypatch.setitem(app.config, "SECTION_CACHE", False)
    build, calls = _counting()
    cache.cached_section(community, "s", build)
    cache.cached_section(community, "s", build)
    assert len(calls) == 2


def test_a_community_recreated_under_the_same_id_starts_afresh(app, db, req):
    first = factories.community(db.session, code="R01", buildings=1, entrances=1, per_entrance=1)
    db.session.commit()
    ident, version_ = first.id, first.data_version
    build, calls = _counting()
    assert cache.cached_section(first, "s", build) == "v1"
    # What the tests' teardown does: every row goes, the ids start again.
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    db.session.commit()
    again = Community(id=ident, code="R01", name="重建", data_version=version_)
    db.session.add(again)
    db.session.commit()
    assert (again.id, again.data_version) == (ident, version_)
    assert cache.cached_section(again, "s", build) == "v2"


def test_the_locale_is_part_of_the_key(app, db, community):
    build, calls = _counting()
    for lang in ("en", "zh_Hans", "en"):
        with app.test_request_context("/", headers={"Cookie": f"lang={lang}"}):
            flask_babel.refresh()  # the tests' app context keeps the last request's locale
            cache.cached_section(community, "s", build)
    assert len(calls) == 2


def test_the_cache_is_bounded(app, db, community, req, monkeypatch):
    small = cache.SectionCache(size=3)
    monkeypatch.setitem(app.extensions, "gongjian_section_cache", small)
    build, calls = _counting()
    for n in range(10):
        cache.cached_section(community, "s", build, n)
    assert len(small) == 3
    cache.cached_section(community, "s", build, 9)  # the newest are kept
    cache.cached_section(community, "s", build, 0)  # the oldest went
    assert len(calls) == 11 and len(small) == 3


def test_a_template_block_is_rendered_only_when_not_cached(app, db, community, req):
    source = "{% call cached_block(community, 'b') %}[{{ read() }}]{% endcall %}"
    reads = []

    def read():
        reads.append(1)
        return len(reads)

    render = lambda: render_template_string(  # noqa: E731
        source, cached_block=cache.cached_block, community=community, read=read
    )
    assert render() == "[1]" and render() == "[1]" and reads == [1]
