"""The community home is cached per role set until the community's data changes
(core/cache.py): a notice, a new resident or a step advanced through a form is on it at once,
one role's home never reaches another role, the cached home is the home rendered afresh, and a
cached view costs a few queries."""

from __future__ import annotations

import re

import pytest

from participation.core.models import Notice
from tests import factories
from tests.conftest import FormClient
from tests.page_text import main, text, without_tokens
from tests.voting.view_fixtures import count_queries


def stat(page: str, label: str) -> str:
    return re.search(rf"<dt>{label}</dt><dd>([^<]*)</dd>", page).group(1)


@pytest.fixture()
def people(db, community):
    return {
        "owner": factories.resident(db.session, community, "owner"),
        "committee": factories.staff(db.session, "committee", community),
        "city": factories.staff(db.session, "city", None),
    }


@pytest.fixture()
def clients(app, db, people):
    made = {}
    for role, user in people.items():
        made[role] = FormClient(app.test_client())
        made[role].set_cookie("lang", "en")
        made[role].login(user)
    return made


def test_a_notice_is_on_the_home_at_once(db, community, clients):
    home = text(clients["owner"].get("/c/T01/"))
    assert "停水通知" not in home
    # Cached: the same page, but for the CSRF tokens (signed with the second they were made).
    assert without_tokens(text(clients["owner"].get("/c/T01/"))) == without_tokens(home)
    resp = clients["committee"].post(
        "/c/T01/notices/new", {"title": "停水通知", "body": "周三 9:00-12:00 停水。"}
    )
    assert resp.status_code == 302
    assert "停水通知" in text(clients["owner"].get("/c/T01/"))


def test_counts_and_steps_change_at_once(db, community, clients):
    home = text(clients["owner"].get("/c/T01/"))
    residents = int(stat(home, "Residents online"))
    factories.resident(db.session, community, "tenant")  # commits
    home = text(clients["owner"].get("/c/T01/"))
    assert int(stat(home, "Residents online")) == residents + 1
    assert clients["committee"].post("/c/T01/project").status_code == 302  # step 1 opens
    assert "Now: step 1 of 5" in text(clients["owner"].get("/c/T01/"))


def test_each_role_gets_its_own_home(app, db, community, clients, monkeypatch):
    pages = {}
    for role in ("committee", "owner", "city", "committee", "owner", "city"):
        pages[role] = main(text(clients[role].get("/c/T01/")))
    assert "/c/T01/notices/new" in pages["committee"]
    assert "/c/T01/notices/new" not in pages["owner"]
    assert "/c/T01/notices/new" not in pages["city"] and "/c/T01/audit" in pages["city"]
    assert "/c/T01/audit" not in pages["owner"]
    monkeypatch.setitem(app.config, "SECTION_CACHE", False)
    for role in ("committee", "owner", "city"):
        assert main(text(clients[role].get("/c/T01/"))) == pages[role], role


def test_a_cached_home_costs_a_few_queries(db, community, clients):
    clients["owner"].get("/c/T01/")  # the project and its steps are made on the first view
    db.session.add(Notice(community_id=community.id, title="通知", body="…"))
    db.session.commit()
    db.session.expire_all()
    with count_queries() as first:
        text(clients["owner"].get("/c/T01/"))
    db.session.expire_all()
    with count_queries() as cached:
        text(clients["owner"].get("/c/T01/"))
    # The community with its steps, the user (with the inbox badge), the roles.
    assert len(cached) <= 4, "\n".join(cached)
    assert len(first) >= len(cached) + 3
