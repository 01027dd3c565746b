"""The plan page's community-wide sections are cached per plan and role set until the
community's data changes (core/cache.py): a change made through a form is on the page at once,
one role's cached page never reaches another role, the cached page is the page rendered
afresh, and a cached view costs a few queries."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from participation.extensions import db as _db
from participation.plan import plans, services
from participation.plan.models import MenuItem
from tests.conftest import FormClient
from tests.page_text import main, text
from tests.voting.view_fixtures import count_queries

BASE = "/c/T01/plan"


def _item(key: str) -> MenuItem:
    return _db.session.scalar(select(MenuItem).where(MenuItem.key == key))


@pytest.fixture()
def draft(db, community, people, ctx):
    services.ensure_menu(community, people["committee"])
    plan = plans.create_plan(people["committee"], community, "Our plan", "")
    plans.save_plan(
        people["committee"],
        plan,
        title="Our plan",
        summary="",
        lines=[plans.LineInput(_item("roof").id, "1", "128800")],
        sources={"government_subsidy": "100000", "residents": "28800"},
    )
    db.session.commit()
    return plan


@pytest.fixture()
def published(db, draft, people):
    plans.publish_plan(people["committee"], draft)
    db.session.commit()
    return draft


def test_an_edit_is_on_the_page_at_once(client, draft, people):
    client.login(people["committee"])
    page = text(client.get(f"{BASE}/{draft.id}"))
    assert "¥128,800.00" in page and "Lift" not in page
    text(client.get(f"{BASE}/{draft.id}"))  # cached
    data = {"title": "Our plan v1", "summary": ""}
    for key, cost in (("roof", "128800"), ("lift", "500000")):
        data |= {f"inc-{_item(key).id}": "1", f"qty-{_item(key).id}": "1"}
        data[f"cost-{_item(key).id}"] = cost
    data |= {"source-government_subsidy": "600000", "source-residents": "28800"}
    resp = client.post(f"{BASE}/{draft.id}/edit", data)
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    page = text(client.get(f"{BASE}/{draft.id}"))
    assert "Our plan v1" in page and "¥628,800.00" in page


def test_a_comment_is_counted_at_once(client, published, people):
    client.login(people["owner"])
    page = text(client.get(f"{BASE}/{published.id}"))
    assert "0 comments: read and comment" in page
    text(client.get(f"{BASE}/{published.id}"))  # cached
    resp = client.post(f"/c/T01/topics/{published.topic_id}/comments", {"body": "同意"})
    assert resp.status_code == 302
    assert "1 comment: read and comment" in text(client.get(f"{BASE}/{published.id}"))


def test_each_role_gets_its_own_page(app, db, published, people, monkeypatch):
    # A second version in draft: only the committee sees it, and the table of every share.
    plans.revise(people["committee"], published)
    db.session.commit()
    clients = {}
    for role in ("committee", "owner", "tenant"):
        clients[role] = FormClient(app.test_client())
        clients[role].set_cookie("lang", "en")
        clients[role].login(people[role])
    pages = {}
    for role in ("committee", "owner", "committee", "owner", "tenant"):
        page = text(clients[role].get(f"{BASE}/{published.id}"))
        pages.setdefault(role, []).append(main(page))
    committee, owner, tenant = pages["committee"][-1], pages["owner"][-1], pages["tenant"][-1]
    assert "Version 2" in committee and "Every home’s share" in committee
    assert "Version 2" not in owner and "Every home’s share" not in owner
    # The owner of 1-1-101 also owns 1-1-102: both shares, ¥28,800 over 16 equal homes.
    assert owner.count("pays about") == 2 and "¥1,800.00" in owner
    assert tenant.count("pays about") == 1
    monkeypatch.setitem(app.config, "SECTION_CACHE", False)
    for role in ("committee", "owner", "tenant"):
        fresh = main(text(clients[role].get(f"{BASE}/{published.id}")))
        assert fresh == pages[role][-1], role


def test_a_cached_plan_page_costs_a_few_queries(client, db, published, people):
    client.login(people["owner"])
    db.session.expire_all()
    with count_queries() as first:
        text(client.get(f"{BASE}/{published.id}"))
    db.session.expire_all()
    with count_queries() as cached:
        text(client.get(f"{BASE}/{published.id}"))
    # The community, the user (with the inbox badge), the roles, the plan, the reader's homes.
    assert len(cached) <= 6, "\n".join(cached)
    assert len(first) >= len(cached) + 6
