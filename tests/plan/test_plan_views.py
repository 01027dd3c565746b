"""Plan pages and the plan API: who may see and do what (every role), the compose form with
errors in place and nothing written, publishing, the vote, revising, shares, printing."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from participation.consult.models import Topic
from participation.core.models import Unit
from participation.core.timeutil import utc_to_wall
from participation.extensions import db as _db
from participation.plan import plans, public, services
from participation.plan.models import MenuItem, Plan, PlanLine
from participation.voting.models import Vote
from tests import factories
from tests.conftest import FormClient

BASE = "/c/T01/plan"


def _item(key: str) -> MenuItem:
    return _db.session.scalar(select(MenuItem).where(MenuItem.key == key))


@pytest.fixture()
def menu(db, community, people, ctx):
    services.ensure_menu(community, people["committee"])
    db.session.commit()
    return community


@pytest.fixture()
def draft(db, menu, people):
    plan = plans.create_plan(people["committee"], menu, "Our plan", "")
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


def _form(plan_lines: dict[int, tuple[str, str]], sources=None, title="Our plan") -> dict:
    data = {"title": title, "summary": ""}
    for item_id, (qty, cost) in plan_lines.items():
        data[f"inc-{item_id}"] = "1"
        data[f"qty-{item_id}"] = qty
        data[f"cost-{item_id}"] = cost
    for key, value in (sources or {}).items():
        data[f"source-{key}"] = value
    return data


# ---------------------------------------------------------------------------------------------
# Permissions: every role


def test_anonymous_is_sent_to_log_in(client, published):
    for url in (f"{BASE}/", f"{BASE}/{published.id}", f"{BASE}/{published.id}/print"):
        resp = client.get(url)
        assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    resp = client.post(f"{BASE}/{published.id}/revise")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


@pytest.mark.parametrize("who", ["owner", "tenant", "property", "city", "committee"])
def test_members_read_a_published_plan(client, published, people, who):
    client.login(people[who])
    resp = client.get(f"{BASE}/{published.id}")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "Our plan" in html and "¥128,800.00" in html and "Posted for comment" in html
    assert client.get(f"{BASE}/{published.id}/print").status_code == 200
    index = client.get(f"{BASE}/")
    assert index.status_code == 302 and index.headers["Location"].endswith(f"/{published.id}")


@pytest.mark.parametrize("who", ["owner", "tenant", "property", "city"])
def test_drafts_are_for_the_committee_only(client, draft, people, who):
    client.login(people[who])
    assert client.get(f"{BASE}/{draft.id}").status_code == 404
    assert client.get(f"{BASE}/").status_code == 200  # no plan to show yet


@pytest.mark.parametrize("who", ["owner", "tenant", "property", "city", "other_committee"])
def test_only_the_committee_edits_publishes_votes_revises(client, draft, people, who):
    client.login(people[who])
    edit = client.get(f"{BASE}/{draft.id}/edit")
    assert edit.status_code in (403, 404)
    for action in ("publish", "vote", "revise"):
        assert client.post(f"{BASE}/{draft.id}/{action}").status_code in (403, 404)
    assert client.post(f"{BASE}/", {"title": "x"}).status_code == 403
    _db.session.expire_all()
    assert _db.session.get(Plan, draft.id).status == "draft"


@pytest.mark.parametrize("who", ["outsider", "other_committee"])
def test_other_communities_see_nothing(client, published, people, who):
    client.login(people[who])
    assert client.get(f"{BASE}/{published.id}").status_code == 403


@pytest.mark.parametrize(
    "who, status", [("committee", 200), ("city", 200), ("owner", 403), ("tenant", 403),
                    ("property", 403), ("outsider", 403)]
)  # fmt: skip
def test_share_table_for_committee_and_city(client, published, people, who, status):
    client.login(people[who])
    assert client.get(f"{BASE}/{published.id}/shares").status_code == status


def test_contractor_is_a_property_member(db, client, published, community):
    contractor = factories.staff(db.session, "property", community)
    client.login(contractor)
    assert client.get(f"{BASE}/{published.id}").status_code == 200
    assert client.get(f"{BASE}/{published.id}/shares").status_code == 403
    assert client.post(f"{BASE}/{published.id}/revise").status_code == 403


# ---------------------------------------------------------------------------------------------
# The resident's own share, the committee's table


def test_resident_sees_the_share_of_each_of_their_homes(app, db, client, published, people):
    units = db.session.scalars(select(Unit).order_by(Unit.id)).all()
    units[0].area = D("100.00")  # the owner of 1-1-101 (two units) and the tenant of units[3]
    db.session.commit()
    shares = public.unit_shares(published.id)
    assert sum(shares.values()) == D("28800.00")
    client.login(people["owner"])
    html = client.get(f"{BASE}/{published.id}").get_data(as_text=True)
    assert f"¥{shares[units[0].id]:,.2f}" in html and f'id="my-share-{units[0].id}"' in html
    assert f'id="my-share-{units[1].id}"' in html  # the same owner's second home
    assert "my-share-" + str(units[3].id) not in html
    other = FormClient(app.test_client())
    other.set_cookie("lang", "en")
    other.login(people["tenant"])
    html = other.get(f"{BASE}/{published.id}").get_data(as_text=True)
    assert f'id="my-share-{units[3].id}"' in html and f"¥{shares[units[3].id]:,.2f}" in html


def test_share_table_lists_every_home_in_few_queries(client, published, people):
    from tests.consult.helpers import count_queries

    client.login(people["committee"])
    client.get(f"{BASE}/{published.id}/shares")
    with count_queries() as queries:
        resp = client.get(f"{BASE}/{published.id}/shares")
    html = resp.get_data(as_text=True)
    assert html.count('<th scope="row">') == 17  # 16 homes and the total
    assert "¥1,800.00" in html and "¥28,800.00" in html
    assert len(queries) <= 12  # the same however many homes


# ---------------------------------------------------------------------------------------------
# Composing through the form


def test_start_a_plan(client, menu, people):
    client.login(people["committee"])
    resp = client.post(f"{BASE}/", {"title": "  "})
    assert resp.status_code == 302
    assert _db.session.scalar(select(func.count(Plan.id))) == 0
    resp = client.post(f"{BASE}/", {"title": "Our plan"})
    plan = _db.session.scalar(select(Plan))
    assert resp.headers["Location"].endswith(f"/{plan.id}/edit")


def test_edit_form_is_prefilled_from_the_menu(client, draft, people):
    item = _item("parking")
    item.cost_basis, item.cost_amount = "per_unit", D("300")
    _db.session.commit()
    client.login(people["committee"])
    html = client.get(f"{BASE}/{draft.id}/edit").get_data(as_text=True)
    assert f'name="qty-{item.id}" value="16.00"' in html
    assert f'name="cost-{item.id}" value="300.00"' in html
    roof = _item("roof")
    assert f'name="inc-{roof.id}" value="1" checked' in html


def test_compose_and_save(client, draft, people):
    client.login(people["committee"])
    roof, lights = _item("roof"), _item("lighting")
    resp = client.post(
        f"{BASE}/{draft.id}/edit",
        _form({roof.id: ("1", "50000"), lights.id: ("12", "1,250.50")},
              {"residents": "15006", "reward": "50000"}),
    )  # fmt: skip
    assert resp.status_code == 302
    s = public.current_plan(draft.community_id)
    assert s.total == D("65006.00") and s.residents_total == D("15006.00") and s.gap == 0


@pytest.mark.parametrize(
    "qty, cost, source, message",
    [
        ("-2", "10", "0", "The quantity cannot be negative."),
        ("2", "ten", "0", "The amount must be a number of yuan, such as 1200 or 85.50."),
        ("2", "-10", "0", "The amount cannot be negative."),
        ("2", "10", "a lot", "The amount must be a number of yuan, such as 1200 or 85.50."),
    ],
)
def test_bad_input_is_shown_and_nothing_written(client, draft, people, qty, cost, source, message):
    client.login(people["committee"])
    roof = _item("roof")
    resp = client.post(
        f"{BASE}/{draft.id}/edit", _form({roof.id: (qty, cost)}, {"residents": source}, "New")
    )
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert message in html and 'aria-invalid="true"' in html
    assert f'value="{qty}"' in html  # what was typed is kept
    _db.session.expire_all()
    plan = _db.session.get(Plan, draft.id)
    assert plan.title == "Our plan"
    assert _db.session.scalar(select(PlanLine.unit_cost)) == D("128800.00")


def test_bad_input_in_chinese(client, draft, people):
    client.set_cookie("lang", "zh_Hans")
    client.login(people["committee"])
    roof = _item("roof")
    resp = client.post(f"{BASE}/{draft.id}/edit", _form({roof.id: ("1", "-5")}))
    assert resp.status_code == 422 and "金额不能为负数" in resp.get_data(as_text=True)


def test_published_plan_cannot_be_edited(client, published, people):
    client.login(people["committee"])
    resp = client.post(f"{BASE}/{published.id}/edit", _form({_item("roof").id: ("1", "1")}))
    assert resp.status_code == 302
    follow = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "no longer a draft" in follow
    assert public.current_plan(published.community_id).total == D("128800.00")


# ---------------------------------------------------------------------------------------------
# Publishing, the vote, revising


def test_publish_from_the_page(client, draft, people):
    client.login(people["committee"])
    resp = client.post(f"{BASE}/{draft.id}/publish", {"notice_days": "10"})
    assert resp.status_code == 302
    _db.session.expire_all()
    plan = _db.session.get(Plan, draft.id)
    topic = _db.session.get(Topic, plan.topic_id)
    assert plan.status == "notice" and topic.notice_days == 10
    html = client.get(f"{BASE}/{plan.id}").get_data(as_text=True)
    assert "Put to a confirmation vote" in html and "0 comments" in html


def test_publish_refused_with_a_gap(client, draft, people):
    plans.save_plan(
        people["committee"],
        draft,
        title="Our plan",
        summary="",
        lines=[plans.LineInput(_item("roof").id, "1", "128800")],
        sources={"residents": "800"},
    )
    _db.session.commit()
    client.login(people["committee"])
    html = client.get(f"{BASE}/{draft.id}").get_data(as_text=True)
    assert "Not yet funded: ¥128,000.00" in html
    resp = client.post(f"{BASE}/{draft.id}/publish", {"notice_days": "7"}, follow_redirects=True)
    assert "The funding sources add up to ¥800.00" in resp.get_data(as_text=True)
    assert _db.session.scalar(select(func.count(Topic.id))) == 0


def test_vote_form_creates_the_confirmation_vote(client, published, people):
    client.login(people["committee"])
    topic = _db.session.get(Topic, published.topic_id)
    early = utc_to_wall(topic.notice_ends_at - timedelta(days=1))
    resp = client.post(
        f"{BASE}/{published.id}/vote",
        {"rule": "special", "opens_at": early.strftime("%Y-%m-%dT%H:%M"),
         "closes_at": (early + timedelta(days=10)).strftime("%Y-%m-%dT%H:%M")},
        follow_redirects=True,
    )  # fmt: skip
    assert "notice period ends on" in resp.get_data(as_text=True)
    assert _db.session.scalar(select(func.count(Vote.id))) == 0
    opens = utc_to_wall(topic.notice_ends_at + timedelta(hours=1))
    resp = client.post(
        f"{BASE}/{published.id}/vote",
        {"rule": "ordinary", "opens_at": opens.strftime("%Y-%m-%dT%H:%M"),
         "closes_at": (opens + timedelta(days=10)).strftime("%Y-%m-%dT%H:%M")},
    )  # fmt: skip
    vote = _db.session.scalar(select(Vote))
    assert (
        resp.headers["Location"].endswith(f"/votes/{vote.id}")
        or str(vote.id) in resp.headers["Location"]
    )
    assert vote.rule == "ordinary" and vote.topic_id == published.topic_id
    _db.session.expire_all()
    assert _db.session.get(Plan, published.id).status == "voting"
    resp = client.post(f"{BASE}/{published.id}/vote", {"rule": "advisory"}, follow_redirects=True)
    assert "Please choose a rule." in resp.get_data(as_text=True)


def test_revise_from_the_page(client, published, people):
    client.login(people["committee"])
    resp = client.post(f"{BASE}/{published.id}/revise")
    new = _db.session.scalar(select(Plan).where(Plan.version == 2))
    assert resp.headers["Location"].endswith(f"/{new.id}/edit")
    html = client.get(f"{BASE}/{published.id}").get_data(as_text=True)
    assert "Superseded" in html and "replaced by a later one" in html
    owner = FormClient(client.application.test_client())
    owner.login(people["owner"])
    assert owner.get(f"{BASE}/{published.id}").status_code == 200  # still visible
    assert owner.get(f"{BASE}/{new.id}").status_code == 404  # the new draft is not


# ---------------------------------------------------------------------------------------------
# Printing


def test_plan_print_page_has_a_qr_code(client, published, people):
    client.login(people["owner"])
    html = client.get(f"{BASE}/{published.id}/print").get_data(as_text=True)
    assert '<svg aria-hidden="true"' in html and f"/c/T01/plan/{published.id}" in html
    assert "¥28,800.00" in html and "notice-sheet" in html


def test_survey_print_after_closing(client, menu, people):
    from participation.plan import survey

    client.login(people["owner"])
    resp = client.get(f"{BASE}/survey/print")
    assert resp.status_code == 302  # no closed survey yet
    round_ = survey.open_round(
        people["committee"],
        menu,
        __import__("participation.core.timeutil").core.timeutil.utcnow() + timedelta(days=3),
        3,
    )
    units = _db.session.scalars(select(Unit).order_by(Unit.id)).all()
    survey.set_picks(people["owner"], round_, units[0].id, [_item("lighting").id])
    survey.close_round(people["committee"], round_)
    _db.session.commit()
    html = client.get(f"{BASE}/survey/print").get_data(as_text=True)
    assert "Ranked by households" in html and '<svg aria-hidden="true"' in html
    assert "Households answered: 1 of 16." in html


# ---------------------------------------------------------------------------------------------
# The API


def test_api_plan(client, published, people):
    resp = client.get("/api/v1/communities/NOPE/plan")
    assert resp.status_code == 404 and resp.json == {"error": "no such community"}
    doc = client.get("/api/v1/communities/T01/plan").json
    assert doc["version"] == 1 and doc["status"] == "notice"
    assert doc["total"] == "128800.00" and doc["residents_total"] == "28800.00"
    assert doc["items"] == [
        {
            "name": "Roof repair and waterproofing",
            "category": "basic",
            "quantity": "1.00",
            "unit_cost": "128800.00",
            "cost": "128800.00",
        }
    ]
    assert doc["vote_id"] is None and doc["unfunded"] == "0.00"
    spec = client.get("/api/v1/openapi.json").json
    assert "/communities/{code}/plan" in spec["paths"] and "Plan" in spec["components"]["schemas"]


def test_api_hides_drafts(client, draft):
    resp = client.get("/api/v1/communities/T01/plan")
    assert resp.status_code == 404 and resp.json == {"error": "no published plan"}
