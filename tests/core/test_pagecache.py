"""Whole pages kept for everyone with the same roles, with holes for each reader's own parts
(core/pagecache.py): a kept page is rendered once, every reader still gets their own CSRF token
(one that works), inbox badge, ballots, receipt and share, the page equals the one rendered
afresh, and what is one reader's is never kept for another."""

from __future__ import annotations

import re

import pytest
from flask import template_rendered
from flask_wtf.csrf import generate_csrf

from participation.core import notify, pagecache, permissions
from participation.core.cache import section_cache
from participation.voting import services
from tests import factories
from tests.page_text import main, text, without_tokens
from tests.voting import helpers, view_fixtures
from tests.voting.view_fixtures import close

# The vote pages' fixtures: people of every role in T01, clients logged in as them.
as_user, people, units = view_fixtures.as_user, view_fixtures.people, view_fixtures.units

MARK = "\ue000"  # every hole's marker starts with it


def token_of(page: str) -> str:
    return re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)


class Renders:
    """Templates rendered while counting (Flask's template_rendered signal)."""

    def __init__(self, app):
        self.app, self.names = app, []

    def __enter__(self):
        template_rendered.connect(self._seen, self.app)
        return self.names

    def __exit__(self, *exc):
        template_rendered.disconnect(self._seen, self.app)

    def _seen(self, sender, template, context, **extra):  # noqa: ARG002
        self.names.append(template.name)


def test_a_kept_page_is_rendered_once_and_each_reader_gets_a_working_token(
    app, db, community, people, as_user
):
    a, b = as_user(people["owner"]), as_user(people["owner2"])
    a.get("/c/T01/")  # the first view of a community makes its project (a write: not kept)
    first = text(a.get("/c/T01/"))
    with Renders(app) as rendered:
        second = text(b.get("/c/T01/"))
    assert rendered == []  # the whole page came from the cache
    assert MARK not in first and MARK not in second
    assert token_of(first) != token_of(second)
    assert main(first) == main(second)
    # B's token is B's: it passes B's CSRF check, and not A's.
    form = {"csrf_token": token_of(second)}
    assert a.post("/inbox/read-all", form).status_code == 400
    assert b.post("/inbox/read-all", form).status_code == 302


def test_each_reader_gets_their_own_inbox_badge(app, db, community, people, as_user):
    notify.send([people["owner"].id, people["owner"].id], "电梯停运通知", community_id=community.id)
    notify.send([people["owner"].id], "第二条", community_id=community.id)
    db.session.commit()
    badge = re.compile(r'<span class="badge">(\d+)<span class="sr"> unread</span></span>')
    b_page = text(as_user(people["owner2"]).get("/c/T01/"))
    a_page = text(as_user(people["owner"]).get("/c/T01/"))  # from the page B's view kept
    assert badge.findall(a_page) == ["2"]
    assert badge.findall(b_page) == []


def test_a_flash_is_shown_to_its_reader_and_kept_for_no_one(app, db, community, people, as_user):
    a, b = as_user(people["owner"]), as_user(people["owner2"])
    with a.session_transaction() as session:
        session["_flashes"] = [("success", "已保存")]
    assert "已保存" in text(a.get("/c/T01/"))
    assert "已保存" not in text(b.get("/c/T01/"))
    assert "已保存" not in text(a.get("/c/T01/"))  # shown once


def test_language_and_elder_mode_are_pages_of_their_own(app, db, community, people, as_user):
    a = as_user(people["owner"])
    english = text(a.get("/c/T01/"))
    a.set_cookie("elder", "1")
    elder = text(a.get("/c/T01/"))
    a.set_cookie("lang", "zh_Hans")
    chinese = text(a.get("/c/T01/"))
    assert 'class="elder"' in elder and 'class="elder"' not in english
    assert ">Home<" in english and ">首页<" in chinese


@pytest.mark.parametrize(
    "path", ["/c/T01/", "/c/T01/board", "/c/T01/issues", "/c/T01/issues?status=all"]
)
def test_a_kept_page_is_the_page_rendered_afresh(app, db, community, people, as_user, path):
    readers = {role: as_user(people[role]) for role in ("owner", "committee", "city")}
    kept = {}
    for role, client in [*readers.items(), *readers.items()]:  # the second round: kept pages
        kept[role] = main(text(client.get(path)))
    assert len(section_cache()) > 0
    app.config["PAGE_CACHE"] = False
    try:
        for role, client in readers.items():
            assert main(text(client.get(path))) == kept[role], role
    finally:
        app.config["PAGE_CACHE"] = True


def dashed(receipt: str) -> str:
    return f"{receipt[:4]}-{receipt[4:]}"  # as the page shows it


def closed_vote(db, community, people, units):
    vote = helpers.open_vote(db.session, community, actor=people["committee"])
    services.cast_ballot(people["owner"], vote, "agree", owner_id=units[0].owner_id)
    services.cast_ballot(people["owner2"], vote, "disagree", owner_id=units[2].owner_id)
    db.session.commit()
    close(vote, people["committee"])
    return vote


def test_a_closed_vote_shows_each_owner_their_own_ballot(
    app, db, community, people, units, as_user
):
    vote = closed_vote(db, community, people, units)
    receipts = {
        role: dashed(services.ballot_for(vote, units[i].owner_id).receipt)
        for role, i in (("owner", 0), ("owner2", 2))
    }
    url = f"/c/T01/votes/{vote.id}"
    pages = {}
    for role in ("owner", "owner2", "owner", "owner2", "family"):
        pages[role] = text(as_user(people[role]).get(url))
    for role, other in (("owner", "owner2"), ("owner2", "owner")):
        assert receipts[role] in pages[role] and receipts[other] not in pages[role]
    words = {role: re.sub(r"<[^>]+>", "", page) for role, page in pages.items()}
    assert "Your vote was counted as: ✓ Agree" in words["owner"]
    assert "Your vote was counted as: ✗ Disagree" in words["owner2"]
    assert not any(r in pages["family"] for r in receipts.values())
    # The cast notice of ?cast= is the reader's own: another owner's id shows nothing.
    notice = "Your vote is recorded"
    own = text(as_user(people["owner"]).get(f"{url}?cast={units[0].owner_id}"))
    assert notice in own and receipts["owner"] in own
    assert notice not in text(as_user(people["owner2"]).get(f"{url}?cast={units[0].owner_id}"))


def test_an_owner_who_did_not_vote_is_told_so(app, db, community, people, units, as_user):
    vote = closed_vote(db, community, people, units)
    absent = factories.resident(db.session, community, "owner", units[8])
    page = text(as_user(absent).get(f"/c/T01/votes/{vote.id}"))
    assert "You did not vote in this vote." in page
    assert "You did not vote" not in text(as_user(people["owner"]).get(f"/c/T01/votes/{vote.id}"))


def test_an_open_vote_page_is_never_kept(app, db, community, people, units, as_user):
    vote = helpers.open_vote(db.session, community, actor=people["committee"])
    url = f"/c/T01/votes/{vote.id}"
    as_user(people["owner"]).get(url)
    with Renders(app) as rendered:
        page = text(as_user(people["owner2"]).get(url))
    assert "voting/detail.html" in rendered
    assert "Tap your answer" in page  # the ballot form, with the reader's own token
    assert MARK not in page


def test_the_plan_shows_each_reader_their_own_share(app, db, community, people, units, as_user):
    plan = factories.adopted_plan(db.session, community)
    url = f"/c/T01/plan/{plan.id}"
    a = text(as_user(people["owner"]).get(url))
    b = text(as_user(people["owner2"]).get(url))
    city = text(as_user(people["city"]).get(url))
    assert f'id="my-share-{units[0].id}"' in a and f'id="my-share-{units[2].id}"' not in a
    assert f'id="my-share-{units[2].id}"' in b and f'id="my-share-{units[0].id}"' not in b
    assert "my-share-" not in city
    assert without_tokens(main(a)).count("my-share") == 4  # both of the owner's homes


def test_a_page_that_asks_a_per_user_check_is_not_kept(app, db, community, people):
    checked = [action for action, p in permissions.POLICIES.items() if p.check and p.per_user]
    assert "vote.cast" in checked and "vote.turnout" not in checked
    rendered = []

    def render() -> str:
        rendered.append(1)
        permissions.can(people["owner"], "vote.cast", community)
        return "<p>page</p>"

    with app.test_request_context("/c/T01/x"):
        assert pagecache.cached_page(community, "t", render) == "<p>page</p>"
        assert pagecache.cached_page(community, "t", render) == "<p>page</p>"
    assert len(rendered) == 2


def test_a_page_with_the_readers_real_token_is_not_kept(app, db, community):
    rendered = []
    with app.test_request_context("/c/T01/x"):
        token = generate_csrf()  # a form built before the page

        def render() -> str:
            rendered.append(1)
            return f'<input name="csrf_token" value="{token}">'

        assert token in pagecache.cached_page(community, "t", render)
        assert token in pagecache.cached_page(community, "t", render)
    assert len(rendered) == 2


def test_holes_are_filled_in_place_when_the_page_is_not_kept(app, db, community):
    with app.test_request_context("/c/T01/x"):
        page = pagecache.cached_page(
            community,
            "t",
            lambda: f"<p>{pagecache.hole('mine')}|{generate_csrf()}</p>",
            holes={"mine": lambda: "<b>mine</b>"},
            keep=False,
        )
        assert page == f"<p><b>mine</b>|{generate_csrf()}</p>"
        kept = pagecache.cached_page(
            community,
            "t",
            lambda: f"<p>{pagecache.hole('mine')}|{generate_csrf()}</p>",
            holes={"mine": lambda: "<b>yours</b>"},
        )
        assert kept == f"<p><b>yours</b>|{generate_csrf()}</p>"
