"""The results board is cached until the community's data changes (core/cache.py): a pledge or
a rating written through its form is on the board at once, the cached board is the board
rendered afresh, and a cached view costs a few queries whatever the board holds."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from participation.core.timeutil import utcnow
from participation.plan.survey import homes_of
from participation.share import ratings
from tests import factories
from tests.page_text import main, text, without_tokens
from tests.share import helpers
from tests.voting.view_fixtures import count_queries


def plain(page: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))


def test_a_pledge_is_on_the_board_at_once(client, db, community, people, building):
    factories.current_step(db.session, community, "pledge")
    client.login(people["owner"])
    before = text(client.get("/c/T01/board"))
    assert "Homes that pledged money, work or materials: 0 of 16" in plain(before)
    # Cached: the same page, but for the CSRF tokens (signed with the second they were made).
    assert without_tokens(text(client.get("/c/T01/board"))) == without_tokens(before)
    page = text(client.get("/c/T01/pledge/"))
    form = {
        name: re.search(rf'name="money-{name}"[^>]*value="([^"]*)"', page).group(1)
        for name in ("csrf_token", "token", "kind")
    }
    data = {f"money-{k}": v for k, v in form.items()} | {"money-amount": "300"}
    assert client.post("/c/T01/pledge/", data, csrf=False).status_code == 302
    after = text(client.get("/c/T01/board"))
    assert "Homes that pledged money, work or materials: 1 of 16" in plain(after)
    assert "¥300.00" in after


def test_a_rating_is_on_the_board_at_once(client, db, community, people, building):
    ratings.open_round(people["committee"], community, utcnow() + timedelta(days=7))
    db.session.commit()
    client.login(people["owner"])
    board = text(client.get("/c/T01/board"))
    assert "0 of 16 homes rated." in board and "Rate the renovation" in board
    assert "The rating is open until" in board
    round_ = ratings.current_round(community)
    unit = homes_of(people["owner"], community)[0]
    form = {"action": "save", "unit_id": unit.id, "overall": "4"}
    form.update({f"item-{i.id}": "5" for i in round_.items})
    assert client.post("/c/T01/ratings", form).status_code == 302
    board = text(client.get("/c/T01/board"))
    assert "1 of 16 homes rated." in board
    # Changed: still one, now 2 stars.
    form["overall"] = "2"
    assert client.post("/c/T01/ratings", form).status_code == 302
    board = text(client.get("/c/T01/board"))
    assert "1 of 16 homes rated." in board and "2 stars" in board


def test_a_closed_rating_leaves_the_board_without_a_write(client, db, community, people, building):
    """Whether the rating is open depends on the clock: the cached board is not kept past
    its closing time."""
    round_ = ratings.open_round(people["committee"], community, utcnow() + timedelta(seconds=2))
    db.session.commit()
    client.login(people["owner"])
    assert "Rate the renovation" in text(client.get("/c/T01/board"))
    import time

    time.sleep(max(0.0, (round_.ends_at - utcnow()).total_seconds()) + 0.1)
    board = text(client.get("/c/T01/board"))
    assert "Rate the renovation" not in board and "The rating is open until" not in board


def test_the_cached_board_is_the_board(app, client, db, community, people, building, monkeypatch):
    helpers.closed_vote(db.session, community)
    client.login(people["committee"])
    cached = [main(text(client.get(url))) for url in ("/c/T01/board", "/c/T01/board/print")]
    cached = [main(text(client.get(url))) for url in ("/c/T01/board", "/c/T01/board/print")]
    monkeypatch.setitem(app.config, "SECTION_CACHE", False)
    fresh = [main(text(client.get(url))) for url in ("/c/T01/board", "/c/T01/board/print")]
    assert cached == fresh
    assert "Committee tools" in cached[0] and "4 of 6 (66.7%)" in cached[1]


@pytest.mark.parametrize("role", ["owner", "committee"])
def test_a_cached_board_costs_a_few_queries(client, db, community, people, building, role):
    helpers.closed_vote(db.session, community)
    ratings.open_round(people["committee"], community, utcnow() + timedelta(days=7))
    db.session.commit()
    client.login(people[role])
    db.session.expire_all()
    with count_queries() as first:
        text(client.get("/c/T01/board"))
    db.session.expire_all()  # every measured request loads the same rows afresh
    with count_queries() as cached:
        text(client.get("/c/T01/board"))
    # The community, the user (with the inbox badge), the roles: nothing of the board.
    assert len(cached) <= 4, "\n".join(cached)
    assert len(first) >= len(cached) + 10
