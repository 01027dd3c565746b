"""GET /api/v1/votes/<id>, the receipts publication and the OpenAPI document."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from participation.core.models import Owner
from participation.core.timeutil import aware
from participation.voting import receipts, services
from tests import factories
from tests.conftest import FormClient
from tests.voting import helpers

FIELDS = {
    "id",
    "community",
    "title",
    "rule",
    "status",
    "opens_at",
    "closes_at",
    "electorate",
    "participation",
    "agree",
    "disagree",
    "abstain",
    "quorum_met",
    "passed",
    "ballots",
    "final_hash",
}
AREA = re.compile(r"^\d+\.\d{2}$")


@pytest.fixture()
def committee(db, community):
    return factories.staff(db.session, "committee", community)


def cast(db, community, vote, label, choice):
    unit = helpers.unit_at(db.session, community, *label.split("-"))
    user = helpers.owner_account(db.session, community, unit)
    services.cast_ballot(user, vote, choice)
    db.session.commit()


def test_open_vote_hides_choices_and_hidden_turnout(client, db, community, committee):
    vote = helpers.open_vote(db.session, community, actor=committee)
    cast(db, community, vote, "1-1-101", "agree")
    resp = client.get(f"/api/v1/votes/{vote.id}")
    assert resp.status_code == 200 and resp.is_json
    data = resp.get_json()
    assert set(data) == FIELDS
    assert data["status"] == "open" and data["community"] == "T01" and data["rule"] == "ordinary"
    assert data["electorate"] == {"owners": 15, "units": 16, "area": "1288.00"}
    assert data["participation"] is None and data["ballots"] is None
    assert data["agree"] is None and data["passed"] is None and data["final_hash"] is None
    assert data["opens_at"].endswith("+00:00")
    # The committee sees the running turnout.
    FormClient(client.client).login(committee)
    data = client.get(f"/api/v1/votes/{vote.id}").get_json()
    assert data["participation"] == {"owners": 1, "units": 2, "area": "161.00"}
    assert data["agree"] is None and data["passed"] is None


def test_public_turnout_while_open(client, db, community, committee):
    vote = helpers.open_vote(db.session, community, actor=committee, turnout_public=True)
    cast(db, community, vote, "1-1-201", "disagree")
    data = client.get(f"/api/v1/votes/{vote.id}").get_json()
    assert data["participation"] == {"owners": 1, "units": 1, "area": "80.50"}
    assert data["ballots"] == {"online": 1, "paper": 0, "proxy": 0}
    assert data["quorum_met"] is False
    assert data["disagree"] is None and data["passed"] is None


def test_closed_vote_shows_everything_with_decimal_strings(client, db, community, committee):
    vote = helpers.open_vote(db.session, community, actor=committee)
    cast(db, community, vote, "1-1-101", "agree")
    cast(db, community, vote, "1-1-201", "abstain")
    services.close_vote(committee, vote, reason="测试")
    db.session.commit()
    data = client.get(f"/api/v1/votes/{vote.id}").get_json()
    assert data["status"] == "closed"
    assert data["agree"] == {"owners": 1, "units": 2, "area": "161.00"}
    assert data["abstain"] == {"owners": 1, "units": 1, "area": "80.50"}
    assert data["disagree"] == {"owners": 0, "units": 0, "area": "0.00"}
    assert data["passed"] is False and data["quorum_met"] is False
    assert re.fullmatch(r"[0-9a-f]{64}", data["final_hash"])
    for key in ("electorate", "participation", "agree", "disagree", "abstain"):
        assert AREA.match(data[key]["area"])
    body = client.get(f"/api/v1/votes/{vote.id}").get_data(as_text=True)
    # No names or phone numbers (whole numbers: the random final hash may contain "139").
    phones = db.session.scalars(select(Owner.phone)).all()
    assert "业主" not in body and not any(p and p in body for p in phones)


def test_a_due_vote_closes_when_viewed(client, db, community, committee):
    vote = helpers.open_vote(db.session, community, actor=committee)
    vote.opens_at = aware(vote.opens_at) - timedelta(days=6)
    vote.closes_at = aware(vote.opens_at) + timedelta(days=5)  # a day ago
    db.session.commit()
    data = client.get(f"/api/v1/votes/{vote.id}").get_json()
    assert data["status"] == "closed" and data["final_hash"]


def test_receipts_publication_verifies(client, db, community, committee):
    vote = helpers.open_vote(db.session, community, actor=committee)
    cast(db, community, vote, "1-1-101", "agree")
    assert client.get(f"/api/v1/votes/{vote.id}/receipts").status_code == 404
    services.close_vote(committee, vote, reason="测试")
    db.session.commit()
    data = client.get(f"/api/v1/votes/{vote.id}/receipts").get_json()
    assert data["final_hash"] == vote.final_hash
    published = {r["receipt"]: r["choice"] for r in data["receipts"]}
    assert receipts.verify_publication(data["log"], published, data["final_hash"])


def test_drafts_are_only_for_the_committee_and_the_city(app, client, db, community, committee):
    vote = helpers.draft_vote(db.session, community, actor=committee)
    resp = client.get(f"/api/v1/votes/{vote.id}")
    assert resp.status_code == 404 and resp.get_json() == {"error": "no such vote"}
    owner = factories.resident(db.session, community, "owner")
    FormClient(client.client).login(owner)
    assert client.get(f"/api/v1/votes/{vote.id}").status_code == 404
    city_client = FormClient(app.test_client())
    city_client.login(factories.staff(db.session, "city", None))
    data = city_client.get(f"/api/v1/votes/{vote.id}").get_json()
    assert data["status"] == "draft" and data["electorate"] is None


def test_json_errors(client, db):
    for url in ("/api/v1/votes/999", "/api/v1/votes/abc", "/api/v1/nothing"):
        resp = client.get(url)
        assert resp.status_code == 404 and resp.is_json and "error" in resp.get_json()


def test_openapi_document(client, db):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.1")
    assert "/votes/{id}" in doc["paths"] and "/votes/{id}/receipts" in doc["paths"]
    schema = doc["components"]["schemas"]["Vote"]
    assert set(schema["required"]) == FIELDS
    assert schema["properties"]["status"]["enum"] == ["draft", "open", "closed"]
