"""Pledge pages: every role on every route, the resident's forms (errors next to the field, a
double tap makes one pledge), the committee's confirm and cancel, the funding page, the public
ledger and its print, the JSON and its OpenAPI entry, and query counts that do not grow with
the number of pledges."""

from __future__ import annotations

import html
import re
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from participation.core.models import AuditEntry, Unit
from participation.extensions import db
from participation.pledge import services
from participation.pledge.models import Pledge, SpendingEntry
from tests import factories
from tests.voting.view_fixtures import count_queries, selects

ROLES = (
    "anon",
    "owner",
    "family",
    "tenant",
    "committee",
    "property",
    "contractor",
    "city",
    "outsider",
    "other_committee",
)
RESIDENTS = {"owner", "family", "tenant"}
MEMBERS = RESIDENTS | {"committee", "property", "contractor", "city"}

pytestmark = pytest.mark.usefixtures("ctx")  # services called directly build links


def text(resp) -> str:
    return html.unescape(resp.get_data(as_text=True))


def form_values(page: str, kind: str) -> dict[str, str]:
    """The hidden fields of one pledge form on the page (token, kind, home, CSRF)."""
    values = {}
    for name in ("csrf_token", "token", "kind", "unit_id"):
        m = re.search(rf'name="{kind}-{name}"[^>]*value="([^"]*)"', page) or re.search(
            rf'value="([^"]*)"[^>]*name="{kind}-{name}"', page
        )
        if m:
            values[f"{kind}-{name}"] = m.group(1)
    return values


def client_for(as_user, people, role):
    return as_user(None if role == "anon" else people[role])


@pytest.fixture()
def pledge(db, step3, people):
    with_ctx = services.make_pledge(
        people["owner2"],
        step3,
        unit_id=None,
        kind="money",
        token=services.new_token(),
        amount="500",
    )
    db.session.commit()
    return with_ctx[0]


def expected(role: str, allowed: set[str]) -> int:
    if role in allowed:
        return 200
    return 302 if role == "anon" else 403


@pytest.mark.parametrize("role", ROLES)
def test_who_sees_which_page(app, step3, people, pledge, as_user, role):
    client = client_for(as_user, people, role)
    code = step3.code
    assert client.get(f"/c/{code}/pledge/").status_code == expected(role, MEMBERS)
    assert client.get(f"/c/{code}/pledge/preview?money-amount=100").status_code == expected(
        role, MEMBERS
    )
    # The ledger, its print and the JSON are public (民法典 Art. 281 disclosure).
    assert client.get(f"/c/{code}/pledge/ledger").status_code == 200
    assert client.get(f"/c/{code}/pledge/ledger/print").status_code == 200
    assert client.get(f"/api/v1/communities/{code}/funding").status_code == 200
    committee_only = {"committee"}
    for path in ("manage", f"{pledge.id}/confirm", f"{pledge.id}/cancel", "funding"):
        assert client.get(f"/c/{code}/pledge/{path}").status_code == expected(
            role, committee_only
        ), path


@pytest.mark.parametrize("role", ROLES)
def test_who_may_pledge(step3, people, as_user, role):
    client = client_for(as_user, people, role)
    code = step3.code
    page = client.get(f"/c/{code}/pledge/")
    values = form_values(text(page), "money") if page.status_code == 200 else {}
    data = {
        "money-kind": "money",
        "money-token": values.get("money-token", services.new_token()),
        "money-amount": "1000",
        **values,
    }
    resp = client.post(f"/c/{code}/pledge/", data, csrf="money-csrf_token" not in data)
    made = db.session.scalar(select(func.count(Pledge.id)))
    if role in RESIDENTS:
        assert resp.status_code == 302 and made == 1
        assert '<button class="btn btn-big">Pledge this amount' in text(page)
    else:
        assert made == 0
        if role in MEMBERS:  # staff: no forms, and a refusal if they post anyway
            assert "Pledge this amount" not in text(page)
            follow = client.get(resp.headers["Location"])
            assert "Only residents of this community" in text(follow)
        else:
            assert resp.status_code in (302, 403, 400)


@pytest.mark.parametrize("role", ROLES)
def test_who_may_confirm_and_cancel(step3, people, pledge, as_user, role):
    client = client_for(as_user, people, role)
    code = step3.code
    resp = client.post(
        f"/c/{code}/pledge/{pledge.id}/confirm", {"received": "500", "reference": "R1"}
    )
    db.session.expire_all()
    if role == "committee":
        assert resp.status_code == 302 and db.session.get(Pledge, pledge.id).status == "fulfilled"
    else:
        assert resp.status_code in (302, 403) and db.session.get(Pledge, pledge.id).status == (
            "pledged"
        )
        assert client.post(f"/c/{code}/pledge/{pledge.id}/cancel", {"reason": "x"}).status_code in (
            302,
            403,
        )
        assert db.session.get(Pledge, pledge.id).status == "pledged"
        assert client.post(
            f"/c/{code}/pledge/funding",
            {"action": "spending", "spent_on": "2026-01-01", "amount": "5", "purpose": "x"},
        ).status_code in (302, 403)
        assert db.session.scalar(select(func.count(SpendingEntry.id))) == 0


def test_a_double_tap_posts_the_same_form_twice_and_makes_one_pledge(step3, people, as_user):
    client = as_user(people["owner"])
    page = text(client.get(f"/c/{step3.code}/pledge/"))
    data = {**form_values(page, "money"), "money-amount": "2000"}
    first = client.post(f"/c/{step3.code}/pledge/", data, csrf=False)
    second = client.post(f"/c/{step3.code}/pledge/", data, csrf=False)
    assert first.status_code == second.status_code == 302
    assert db.session.scalar(select(func.count(Pledge.id))) == 1
    follow = text(client.get(second.headers["Location"]))
    assert "already recorded" in follow
    assert "Your pledges" in follow and "Withdraw this pledge" in follow


def test_bad_input_is_shown_next_to_the_field_and_writes_nothing(step3, people, as_user):
    client = as_user(people["owner"])
    page = text(client.get(f"/c/{step3.code}/pledge/"))
    for amount, message in [
        ("-5", "The amount must be more than 0."),
        ("0", "The amount must be more than 0."),
        ("999999999", "largest amount accepted here"),
        ("一千", "Please enter the amount as a number"),
    ]:
        resp = client.post(
            f"/c/{step3.code}/pledge/",
            {**form_values(page, "money"), "money-amount": amount},
            csrf=False,
        )
        body = text(resp)
        assert resp.status_code == 400
        assert re.search(r'id="money-amount-err">[^<]*' + re.escape(message), body), amount
        assert 'aria-invalid="true"' in body
    resp = client.post(
        f"/c/{step3.code}/pledge/",
        {**form_values(page, "labour"), "labour-hours": "501", "labour-skill": "cleaning"},
        csrf=False,
    )
    assert resp.status_code == 400 and "0.5 to 500" in text(resp)
    assert db.session.scalar(select(func.count(Pledge.id))) == 0
    assert db.session.scalar(select(func.count(AuditEntry.id))) == 0


def test_after_step_3_the_form_is_gone_and_a_late_post_is_refused(db, step3, people, as_user):
    client = as_user(people["owner"])
    page = text(client.get(f"/c/{step3.code}/pledge/"))
    values = form_values(page, "money")
    factories.current_step(db.session, step3, "build")
    resp = client.post(f"/c/{step3.code}/pledge/", {**values, "money-amount": "100"}, csrf=False)
    assert resp.status_code == 302
    follow = text(client.get(resp.headers["Location"]))
    assert "Pledges are taken only while step 3" in follow
    assert "Pledge this amount" not in follow
    assert db.session.scalar(select(func.count(Pledge.id))) == 0


def test_resident_withdraws_and_the_committee_confirms_with_notices(step3, people, as_user):
    owner = as_user(people["owner"])
    page = text(owner.get(f"/c/{step3.code}/pledge/"))
    assert "CN¥4,025.00" in page  # the suggested share of a 80.50 m² home
    owner.post(
        f"/c/{step3.code}/pledge/",
        {**form_values(page, "money"), "money-amount": "4025"},
        csrf=False,
    )
    page = text(owner.get(f"/c/{step3.code}/pledge/"))
    owner.post(
        f"/c/{step3.code}/pledge/",
        {**form_values(page, "labour"), "labour-hours": "3", "labour-skill": "gardening"},
        csrf=False,
    )
    money_p, labour_p = db.session.scalars(select(Pledge).order_by(Pledge.id)).all()
    resp = owner.post(f"/c/{step3.code}/pledge/{labour_p.id}/withdraw")
    assert resp.status_code == 302
    assert "Your pledge is withdrawn." in text(owner.get(resp.headers["Location"]))

    committee = as_user(people["committee"])
    listing = text(committee.get(f"/c/{step3.code}/pledge/manage"))
    assert "1-1-101" in listing and "Confirm received" in listing
    form = text(committee.get(f"/c/{step3.code}/pledge/{money_p.id}/confirm"))
    assert 'value="4025.00"' in form
    bad = committee.post(
        f"/c/{step3.code}/pledge/{money_p.id}/confirm", {"received": "4025", "reference": ""}
    )
    assert bad.status_code == 400 and 'id="reference-err"' in text(bad)
    ok = committee.post(
        f"/c/{step3.code}/pledge/{money_p.id}/confirm",
        {"received": "4025", "reference": "收据 0001"},
    )
    assert ok.status_code == 302
    inbox = text(owner.get("/inbox"))
    assert "The committee confirmed your contribution. Thank you!" in inbox
    ledger = text(as_user().get(f"/c/{step3.code}/pledge/ledger"))
    assert "CN¥4,025.00" in ledger and "收据" not in ledger


def test_funding_page_saves_sources_rule_and_spending(step3, people, as_user):
    committee = as_user(people["committee"])
    url = f"/c/{step3.code}/pledge/funding"
    page = text(committee.get(url))
    assert "none: fully funded" in page
    resp = committee.post(url, {"action": "sources", "amount_utilities": "-1"})
    assert resp.status_code == 400 and 'id="amount_utilities-err"' in text(resp)
    resp = committee.post(url, {"action": "sources", "amount_maintenance_fund": "1000"})
    assert resp.status_code == 400 and 'id="fund_vote_id-err"' in text(resp)
    resp = committee.post(url, {"action": "sources", "amount_government_subsidy": "490000"})
    assert resp.status_code == 302
    assert "CN¥10,000.00 still unfunded" in text(committee.get(url))
    resp = committee.post(
        url,
        {
            "action": "reward",
            "match_ratio": "1.5",
            "labour_rate": "30",
            "cap_kind": "total",
            "cap_amount": "40000",
            "min_household_share_pct": "50",
            "min_per_m2": "2",
        },
    )
    assert resp.status_code == 302
    assert services.rule_in_use(step3).rule.match_ratio == D("1.5")
    resp = committee.post(url, {"action": "reward", "match_ratio": "-2", "cap_kind": "none"})
    assert resp.status_code == 400 and 'id="match_ratio-err"' in text(resp)
    resp = committee.post(
        url,
        {
            "action": "spending",
            "spent_on": "2026-01-02",
            "amount": "1234.5",
            "purpose": "楼道涂料",
            "source": "residents",
        },
    )
    assert resp.status_code == 302
    assert "楼道涂料" in text(as_user().get(f"/c/{step3.code}/pledge/ledger"))


def test_the_preview_shows_what_a_typed_amount_would_unlock(step3, people, as_user):
    client = as_user(people["owner"])
    resp = client.get(
        f"/c/{step3.code}/pledge/preview?money-amount=7000", headers={"HX-Request": "true"}
    )
    body = text(resp)
    assert body.lstrip().startswith("<section") and 'id="reward-box"' in body
    assert "If your CN¥7,000.00 is received" in body
    junk = text(client.get(f"/c/{step3.code}/pledge/preview?money-amount=abc"))
    assert "If your" not in junk


def _many_pledges(community, people, n: int) -> None:
    units = db.session.scalars(
        select(Unit).where(Unit.community_id == community.id).order_by(Unit.id)
    ).all()
    for i in range(n):
        unit = units[i % len(units)]
        user = factories.resident(db.session, community, "tenant", unit)
        user.name = f"住户{i}"
        p, _ = services.make_pledge(
            user,
            community,
            unit_id=unit.id,
            kind="money",
            token=services.new_token(),
            amount=str(100 + i),
            honour=i % 2 == 0,
        )
        if i % 3 == 0:
            services.confirm(people["committee"], p, reference=f"R{i}")
    db.session.commit()


@pytest.mark.parametrize(
    "path", ["pledge/ledger", "pledge/ledger/print", "pledge/manage?status=all", "pledge/"]
)
def test_pages_make_the_same_number_of_queries_for_3_or_30_pledges(
    app, step3, people, as_user, path
):
    client = as_user(people["committee"])
    _many_pledges(step3, people, 3)
    client.get(f"/c/{step3.code}/{path}")
    with count_queries() as few:
        assert client.get(f"/c/{step3.code}/{path}").status_code == 200
    _many_pledges(step3, people, 27)
    client.get(f"/c/{step3.code}/{path}")  # the same warm-up: the test's session is shared
    with count_queries() as many:
        assert client.get(f"/c/{step3.code}/{path}").status_code == 200
    assert len(selects(many)) == len(selects(few)), "\n".join(
        s[:120].replace("\n", " ") for s in selects(many)
    )


def test_the_ledger_masks_names_without_opt_in_and_prints_with_a_qr_code(step3, people, as_user):
    _many_pledges(step3, people, 4)  # 0 and 3 confirmed; 0 opted in, 3 did not
    anon = as_user()
    page = text(anon.get(f"/c/{step3.code}/pledge/ledger"))
    assert "住户0" in page and "住户3" not in page and "住**" in page
    assert "Bldg 1" in page
    printed = text(anon.get(f"/c/{step3.code}/pledge/ledger/print"))
    assert '<svg aria-hidden="true"' in printed and f"/c/{step3.code}/pledge/ledger" in printed
    assert "data-print" in printed


def test_the_funding_json_and_its_openapi_entry(step3, people, as_user):
    _many_pledges(step3, people, 3)
    client = as_user()
    doc = client.get(f"/api/v1/communities/{step3.code}/funding").get_json()
    assert doc["community"] == step3.code and doc["pledging_open"] is True
    assert doc["pledged"]["money"] == {"count": 3, "amount": "303.00"}
    assert doc["confirmed"]["money"] == {"count": 1, "amount": "100.00"}
    assert doc["households"] == {"total": 16, "pledging": 3}
    assert doc["reward"]["rule"]["inherited"] is True
    assert "住户" not in repr(doc)
    missing = client.get("/api/v1/communities/NOPE/funding")
    assert missing.status_code == 404 and missing.get_json() == {"error": "no such community"}
    spec = client.get("/api/v1/openapi.json").get_json()
    op = spec["paths"]["/communities/{code}/funding"]["get"]
    assert op["operationId"] == "getCommunityFunding"
    schema = spec["components"]["schemas"]["Funding"]
    assert set(schema["required"]) == set(doc)


def test_an_honour_row_with_money_labour_and_materials_renders(step3, people, as_user):
    owner, committee = people["owner"], people["committee"]
    for kind, values in (
        ("money", {"amount": "300"}),
        ("labour", {"hours": "1", "skill": "cleaning"}),
        ("materials", {"item": "花盆", "quantity": "3盆", "value": "90"}),
    ):
        p, _ = services.make_pledge(
            owner, step3, unit_id=None, kind=kind, token=services.new_token(), **values
        )
        services.confirm(committee, p, reference="R9")
    db.session.commit()
    page = text(as_user().get(f"/c/{step3.code}/pledge/ledger"))
    assert "CN¥300.00 · 1 hour · materials" in page
