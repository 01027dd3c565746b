"""GET /api/v1/communities and /api/v1/communities/<code>: fields, pagination, clean 4xx JSON
errors, ETag and 304."""

from __future__ import annotations

from decimal import Decimal

from tests import factories
from tests.share import helpers


def test_list_fields_and_order(client, db, community, people):
    factories.current_step(db.session, community, "pledge")
    resp = client.get("/api/v1/communities")
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["total"] == 2 and body["page"] == 1 and body["pages"] == 1
    first = body["items"][0]
    # The fixture: 2 buildings × 2 entrances × 4 units of 80.50 m²; one owner holds two units.
    assert first == {
        "code": "T01",
        "name": community.name,
        "name_en": community.name_en,
        "district": "测试区",
        "units": 16,
        "owners": 15,
        "area": f"{Decimal('80.50') * 16:.2f}",
        "current_step": 3,
        "current_step_name": "pledge",
    }
    assert body["items"][1]["code"] == "T02"
    assert body["items"][1]["current_step"] == 0


def test_pagination_and_errors(client, db, community):
    for n in range(3, 8):
        factories.community(db.session, code=f"T0{n}", buildings=1, entrances=1, per_entrance=1)
    page2 = client.get("/api/v1/communities?page=2&per_page=4").get_json()
    assert [i["code"] for i in page2["items"]] == ["T06", "T07"]
    assert page2["pages"] == 2 and page2["total"] == 6
    for query, status in [
        ("page=0", 400),
        ("page=-1", 400),
        ("page=abc", 400),
        ("page=1.5", 400),
        ("per_page=0", 400),
        ("per_page=101", 400),
        ("per_page=99999999999999999999", 400),
        ("page=3&per_page=4", 404),
        ("colour=red", 400),
    ]:
        resp = client.get(f"/api/v1/communities?{query}")
        assert resp.status_code == status, query
        assert resp.is_json and "error" in resp.get_json(), query


def test_etag_and_304(client, db, community):
    resp = client.get("/api/v1/communities")
    etag = resp.headers["ETag"]
    assert "public" in resp.headers["Cache-Control"]
    again = client.get("/api/v1/communities", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    factories.community(db.session, code="T09", buildings=1, entrances=1, per_entrance=1)
    changed = client.get("/api/v1/communities", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    detail = client.get("/api/v1/communities/T01")
    assert (
        client.get(
            "/api/v1/communities/T01", headers={"If-None-Match": detail.headers["ETag"]}
        ).status_code
        == 304
    )


def test_detail(client, db, community, building):
    vote = helpers.closed_vote(db.session, community)
    resp = client.get("/api/v1/communities/T01")
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["current_step"] == 4 and body["current_step_name"] == "build"
    assert [s["key"] for s in body["steps"]] == ["consult", "plan", "pledge", "build", "share"]
    assert [s["state"] for s in body["steps"]] == ["done", "done", "done", "active", "pending"]
    assert body["steps"][0]["started_at"] and body["steps"][4]["started_at"] is None
    assert body["votes"] == [vote.id]
    part = body["board"]["participation"]
    # 4 of 6 owners voted: 66.7 %; 340 of 500 m²: 68.0 %.
    assert part["voted_owners"] == 4 and part["voted_owners_percent"] == "66.7"
    assert part["voted_area"] == "340.00" and part["voted_area_percent"] == "68.0"
    assert body["board"]["decisions"][0]["passed"] is True
    assert body["board"]["plan_items"] == 3
    assert "phone" not in resp.get_data(as_text=True)


def test_unknown_code_and_parameters(client, db, community):
    resp = client.get("/api/v1/communities/NOPE")
    assert resp.status_code == 404 and resp.get_json() == {"error": "no such community"}
    assert client.get("/api/v1/communities/T01?x=1").status_code == 400


def test_openapi_lists_the_endpoints(client, db):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert "/communities" in doc["paths"] and "/communities/{code}" in doc["paths"]
    assert "CommunityDetail" in doc["components"]["schemas"]
