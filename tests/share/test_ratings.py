"""Rating lifecycle: opening rules, one rating per unit changeable until closing, refusals."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from participation.core.errors import DomainError
from participation.core.timeutil import utcnow
from participation.plan.survey import homes_of
from participation.share import ratings
from participation.share.board import build_board
from participation.share.models import Rating
from tests import factories
from tests.share import helpers

DAY = timedelta(days=1)


def _open(db, community, people, days=7):
    r = ratings.open_round(people["committee"], community, utcnow() + days * DAY)
    db.session.commit()
    return r


def test_open_needs_build_or_share_step(db, ctx, community, people):
    helpers.plan(db.session, community)
    factories.current_step(db.session, community, "pledge")
    with pytest.raises(DomainError, match="step 4 or 5"):
        ratings.open_round(people["committee"], community, utcnow() + DAY)


def test_open_refusals(db, ctx, community, people, building):
    with pytest.raises(DomainError, match="future"):
        ratings.open_round(people["committee"], community, utcnow() - DAY)
    with pytest.raises(DomainError, match="at most 60 days"):
        ratings.open_round(people["committee"], community, utcnow() + 61 * DAY)
    with pytest.raises(DomainError, match="closing date"):
        ratings.open_round(people["committee"], community, None)
    _open(db, community, people)
    with pytest.raises(DomainError, match="already open"):
        ratings.open_round(people["committee"], community, utcnow() + DAY)


def test_no_adopted_plan_nothing_to_rate(db, ctx, community, people):
    factories.current_step(db.session, community, "build")
    with pytest.raises(DomainError, match="no implemented items"):
        ratings.open_round(people["committee"], community, utcnow() + DAY)


def test_items_frozen_in_both_languages(db, ctx, community, people, building):
    r = _open(db, community, people)
    assert [(i.name_zh, i.name_en) for i in r.items] == [(z, e) for _c, z, e, _ in helpers.LINES]


def _rate(user, r, community, overall, score=4, **kw):
    unit = homes_of(user, community)[0]
    return ratings.save_rating(user, r, unit.id, overall, {i.id: score for i in r.items}, **kw)


def test_one_rating_per_unit_changeable(db, ctx, community, people, building):
    r = _open(db, community, people)
    _rate(people["owner"], r, community, 5)
    db.session.commit()
    _rate(people["owner"], r, community, 3, score=2)
    db.session.commit()
    rows = db.session.query(Rating).all()
    assert len(rows) == 1 and rows[0].overall == 3 and rows[0].changes == 1
    res = ratings.results(r)
    assert res.overall.count == 1 and all(i.stats.mean == 2 for i in res.items)


def test_family_and_tenant_rate_for_their_home(db, ctx, community, people, building):
    r = _open(db, community, people)
    _rate(people["tenant"], r, community, 4)
    db.session.commit()
    assert db.session.query(Rating).count() == 1


def test_refusals(db, ctx, community, people, building, units):
    r = _open(db, community, people)
    with pytest.raises(DomainError, match="from 1 to 5"):
        _rate(people["owner"], r, community, 0)
    with pytest.raises(DomainError, match="from 1 to 5"):
        _rate(people["owner"], r, community, 4, score=6)
    with pytest.raises(DomainError, match="score from 1 to 5"):
        ratings.save_rating(people["owner"], r, units[0].id, 4, {})  # items missing
    with pytest.raises(DomainError, match="registered to"):
        ratings.save_rating(people["owner"], r, units[5].id, 4, {i.id: 4 for i in r.items})
    with pytest.raises(DomainError, match="too long"):
        _rate(people["owner"], r, community, 4, overall_comment="x" * 501)
    assert db.session.query(Rating).count() == 0


def test_after_closing_refused(db, ctx, community, people, building):
    r = _open(db, community, people)
    _rate(people["owner"], r, community, 4)
    ratings.close_round(people["committee"], r)
    db.session.commit()
    with pytest.raises(DomainError, match="closed"):
        _rate(people["owner"], r, community, 1)
    with pytest.raises(DomainError, match="already closed"):
        ratings.close_round(people["committee"], r)
    with pytest.raises(DomainError, match="closed"):
        _rate(people["owner"], r, community, 1, now=r.ends_at)  # the closing instant itself


def test_board_figures_by_hand(db, ctx, community, people, building, units):
    """16 units; vote: 4 of 6 owners, 340 of 500 m²; two homes rate 5 and 2 overall."""
    helpers.closed_vote(db.session, community)
    helpers.closed_vote(
        db.session, community, title="电梯", scope="entrance", owners=(4, 4, 4), passed=True
    )
    r = _open(db, community, people)
    _rate(people["owner"], r, community, 5, score=5)
    _rate(people["tenant"], r, community, 2, score=3)
    db.session.commit()
    b = build_board(community)
    assert b.units == 16 and b.owners == 15 and b.area == Decimal("1288.00")
    assert b.willingness.title == "改造意愿表决"  # the whole-community vote, not the lift
    assert str(b.voted_owners_share) == "2/3" and b.voted_area_share == Decimal("0.68")
    assert len(b.decisions) == 2
    assert b.rating.overall.count == 2 and b.rating.overall.mean_display == Decimal("3.50")
    assert b.rating.overall.satisfied == 1
    assert [i.stats.mean for i in b.rating.items] == [4, 4, 4]
    assert b.step == 4 and [s.state for s in b.steps][:4] == ["done", "done", "done", "active"]
    agg = b.aggregates()
    assert agg["satisfaction"]["overall_mean"] == "3.50"
    assert agg["satisfaction"]["satisfied_percent"] == "50.0"
