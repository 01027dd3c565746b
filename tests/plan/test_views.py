"""Menu pages: who may see and edit, the page in both languages, forms with errors in place."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from participation.core.models import AuditEntry
from participation.extensions import db as _db
from participation.plan import services
from participation.plan.models import MenuItem
from tests import factories
from tests.conftest import FormClient

MENU = "/c/T01/plan/menu"


def _item(key: str) -> MenuItem:
    return _db.session.scalar(select(MenuItem).where(MenuItem.key == key))


def _form(item: MenuItem, **changes) -> dict:
    data = {
        "category": item.category,
        "name_zh": item.name_zh,
        "name_en": item.name_en,
        "description_zh": item.description_zh,
        "description_en": item.description_en,
        "cost_basis": item.cost_basis,
        "cost_amount": "" if item.cost_amount is None else str(item.cost_amount),
    }
    if item.residents_share:
        data["residents_share"] = "y"
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture()
def menu(db, community, people, ctx):
    services.ensure_menu(community, people["committee"])
    db.session.commit()
    return community


def test_anonymous_is_sent_to_log_in(client, menu):
    resp = client.get(MENU)
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    lift = _item("lift")
    resp = client.post(f"/c/T01/plan/menu/{lift.id}/hide")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    assert not _item("lift").hidden


@pytest.mark.parametrize("who", ["owner", "tenant", "property", "city"])
def test_members_see_the_menu_but_cannot_edit(client, menu, people, who):
    client.login(people[who])
    resp = client.get(MENU)
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    assert "Renovation menu" in page and "Lift added" in page
    assert "Add an item" not in page
    lift = _item("lift")
    assert client.get(f"/c/T01/plan/menu/{lift.id}/edit").status_code == 403
    assert client.get("/c/T01/plan/menu/new").status_code == 403
    resp = client.post(f"/c/T01/plan/menu/{lift.id}/edit", _form(lift, name_en="Hacked"))
    assert resp.status_code == 403
    assert client.post(f"/c/T01/plan/menu/{lift.id}/hide").status_code == 403
    assert _item("lift").name_en == "Lift added" and not _item("lift").hidden


@pytest.mark.parametrize("who", ["outsider", "other_committee"])
def test_other_communities_are_refused(client, menu, people, who):
    client.login(people[who])
    assert client.get(MENU).status_code == 403
    lift = _item("lift")
    assert client.post(f"/c/T01/plan/menu/{lift.id}/hide").status_code == 403


def test_the_menu_is_copied_on_first_view(client, community, people):
    client.login(people["owner"])
    assert client.get(MENU).status_code == 200
    count = _db.session.scalar(
        select(func.count(MenuItem.id)).where(MenuItem.community_id == community.id)
    )
    assert count == 31
    assert client.get(MENU).status_code == 200
    assert _db.session.scalar(select(func.count(MenuItem.id))) == 31


def test_page_in_english_and_chinese(client, menu, people):
    lift = _item("lift")
    lift.cost_basis, lift.cost_amount, lift.residents_share = "total", Decimal("680000"), True
    _db.session.commit()
    client.login(people["owner"])
    page = client.get(MENU).get_data(as_text=True)
    assert "Lift added" in page and "Water supply pipes" in page
    assert "Done where needed" in page
    assert "¥680,000.00 in total" in page and "Residents share this cost." in page
    assert "加装电梯" not in page
    client.set_cookie("lang", "zh_Hans")
    page = client.get(MENU).get_data(as_text=True)
    assert "加装电梯" in page and "供水管网改造" in page
    assert "Lift added" not in page
    assert "680,000.00" in page


def test_committee_edits_an_item(client, menu, people):
    client.login(people["committee"])
    page = client.get(MENU).get_data(as_text=True)
    assert "Add an item" in page and "Edit" in page
    item = _item("insulation")
    assert client.get(f"/c/T01/plan/menu/{item.id}/edit").status_code == 200
    resp = client.post(
        f"/c/T01/plan/menu/{item.id}/edit",
        _form(item, cost_basis="per_m2", cost_amount="120", residents_share="y"),
    )
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"#item-{item.id}")
    item = _item("insulation")
    assert item.cost_amount == Decimal("120.00") and item.residents_share
    page = client.get(MENU).get_data(as_text=True)
    assert "¥120.00 per m²" in page


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("-5", "The cost cannot be negative."),
        ("lots", "The cost must be a number"),
        ("10.555", "at most 2 decimal places"),
        ("999999999", "The cost is too large"),
    ],
)
def test_bad_cost_is_shown_next_to_the_field(client, menu, people, amount, message):
    client.login(people["committee"])
    item = _item("lift")
    entries = _db.session.scalar(select(func.count(AuditEntry.id)))
    resp = client.post(
        f"/c/T01/plan/menu/{item.id}/edit",
        _form(item, name_en="Changed", cost_basis="total", cost_amount=amount),
    )
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    assert 'id="cost_amount-err"' in page and message in page
    assert 'aria-invalid="true"' in page
    item = _item("lift")
    assert item.name_en == "Lift added" and item.cost_amount is None
    assert _db.session.scalar(select(func.count(AuditEntry.id))) == entries


def test_bad_cost_in_chinese(client, menu, people):
    client.set_cookie("lang", "zh_Hans")
    client.login(people["committee"])
    item = _item("lift")
    resp = client.post(
        f"/c/T01/plan/menu/{item.id}/edit", _form(item, cost_basis="total", cost_amount="-5")
    )
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "The cost cannot be negative." not in page


def test_committee_adds_hides_and_shows(app, client, menu, people):
    client.login(people["committee"])
    assert client.get("/c/T01/plan/menu/new").status_code == 200
    resp = client.post(
        "/c/T01/plan/menu/new",
        {
            "category": "improvement",
            "name_zh": "公共晾衣架",
            "name_en": "Shared drying racks",
            "description_en": "Racks in sunny spots.",
            "cost_basis": "total",
            "cost_amount": "36000",
        },
    )
    assert resp.status_code == 302
    custom = _db.session.scalar(select(MenuItem).where(MenuItem.key.is_(None)))
    assert custom.name_en == "Shared drying racks" and custom.cost_amount == Decimal("36000.00")
    resp = client.post("/c/T01/plan/menu/new", {"category": "improvement", "name_zh": ""})
    assert resp.status_code == 200 and "Please enter a name." in resp.get_data(as_text=True)

    kg = _item("kindergarten")
    assert client.post(f"/c/T01/plan/menu/{kg.id}/hide").status_code == 302
    assert _item("kindergarten").hidden
    resident = FormClient(app.test_client())
    resident.set_cookie("lang", "en")
    resident.login(people["owner"])
    assert "Kindergarten" not in resident.get(MENU).get_data(as_text=True)
    page = client.get(MENU).get_data(as_text=True)
    assert "Kindergarten" in page and "Hidden from residents" in page
    assert client.post(f"/c/T01/plan/menu/{kg.id}/show").status_code == 302
    assert not _item("kindergarten").hidden


def test_post_without_csrf_is_refused(client, menu, people):
    client.login(people["committee"])
    lift = _item("lift")
    resp = client.post(f"/c/T01/plan/menu/{lift.id}/hide", csrf=False)
    assert resp.status_code == 400
    assert not _item("lift").hidden


def test_an_item_of_another_community_is_not_found(client, menu, people, db):
    third = factories.community(db.session, code="T04", buildings=1, entrances=1, per_entrance=1)
    services.ensure_menu(third)
    db.session.commit()
    foreign = _db.session.scalar(
        select(MenuItem).where(MenuItem.community_id == third.id, MenuItem.key == "lift")
    )
    client.login(people["committee"])
    assert client.get(f"/c/T01/plan/menu/{foreign.id}/edit").status_code == 404
    assert client.post(f"/c/T01/plan/menu/{foreign.id}/hide").status_code == 404


def test_community_page_links_to_the_menu(client, menu, people):
    client.login(people["owner"])
    page = client.get("/c/T01/").get_data(as_text=True)
    assert "/c/T01/plan/menu" in page
