"""Supports under real concurrency on PostgreSQL: each tap in its own thread, session and
connection, all released at once (`make test-pg`)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from participation.ideas import services
from participation.ideas.models import Idea, IdeaSupport
from tests import factories

from .helpers import make_idea

pytestmark = pytest.mark.postgres


def _tap_together(app, idea_id: int, user_ids: list[int]) -> tuple[list[bool], list[Exception]]:
    barrier = threading.Barrier(len(user_ids))
    results: list[bool] = []
    errors: list[Exception] = []

    def tap(user_id: int) -> None:
        from participation.core.models import User
        from participation.extensions import db as _db

        with app.app_context():
            try:
                barrier.wait(timeout=10)  # holding no connection while waiting
                user = _db.session.get(User, user_id)
                idea = _db.session.get(Idea, idea_id)
                results.append(services.support(user, idea))
                _db.session.commit()
            except Exception as exc:  # noqa: BLE001
                errors.append(exc)
                _db.session.rollback()
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=tap, args=(uid,)) for uid in user_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results, errors


def test_ten_simultaneous_taps_by_one_account_make_one_support(app, db, community, people):
    idea = make_idea(community, people["neighbour"])
    results, errors = _tap_together(app, idea.id, [people["owner"].id] * 10)
    assert errors == []
    assert sorted(results) == [False] * 9 + [True]
    db.session.expire_all()
    assert db.session.scalar(select(func.count(IdeaSupport.id))) == 1
    assert db.session.get(Idea, idea.id).support_count == 1


def test_simultaneous_supports_by_many_are_all_counted(app, db, community, people):
    idea = make_idea(community, people["neighbour"])
    from participation.core.models import Unit

    units = db.session.scalars(select(Unit).where(Unit.community_id == community.id)).all()
    users = [factories.resident(db.session, community, "tenant", u) for u in units[:12]]
    results, errors = _tap_together(app, idea.id, [u.id for u in users])
    assert errors == [] and results == [True] * 12
    db.session.expire_all()
    assert db.session.get(Idea, idea.id).support_count == 12
    assert db.session.scalar(select(func.count(IdeaSupport.id))) == 12
