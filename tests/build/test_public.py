"""Figures for other packages and the JSON API: counts, rates, medians, overdue per community."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import event

from participation.build import public, services
from participation.core.timeutil import utcnow
from participation.extensions import db as _db
from tests.build.helpers import report


def _story(db, community, people):
    """Five issues: one acknowledged after 2 h and fixed after 10 h (in time), one fixed after
    30 h (emergency: late), one acknowledged after 6 h, one rejected, one merged."""
    t = utcnow() - timedelta(days=5)
    owner, c, p = people["owner"], people["contractor"], people["property"]
    a = report(owner, community, category="noise", now=t)
    services.acknowledge(c, a, now=t + timedelta(hours=2))
    services.resolve(c, a, "好了", now=t + timedelta(hours=10))
    b = report(owner, community, category="safety", urgency="emergency", now=t)
    services.resolve(c, b, "好了", now=t + timedelta(hours=30))
    services.confirm(owner, b)
    d = report(owner, community, category="utility", now=t)
    services.acknowledge(p, d, now=t + timedelta(hours=6))
    e = report(owner, community, category="other", now=t)
    services.reject(people["committee"], e, "重复")
    f = report(owner, community, category="noise", now=t)
    services.merge(people["committee"], f, d.id)
    db.session.commit()
    return a, b, d, e, f


def test_issue_stats(db, ctx, community, people):
    _story(db, community, people)
    stats = public.issue_stats(community.id)
    assert stats["total"] == 5
    assert stats["by_status"] == {
        "submitted": 0,
        "acknowledged": 1,
        "in_progress": 0,
        "resolved": 1,
        "reopened": 0,
        "closed": 1,
        "rejected": 1,
        "merged": 1,
    }
    assert stats["by_category"]["noise"] == 2 and stats["by_category"]["dust"] == 0
    assert stats["open"] == 1 and stats["resolved"] == 2
    # 4 count (the merged one does not); all 4 answered (the rejected one by its rejection).
    assert stats["response_rate"] == 1.0
    assert stats["resolution_rate"] == round(2 / 3, 3)  # the rejected one is left out
    assert stats["median_hours_to_acknowledge"] == 6.0  # 2, 6, 30 (resolving acknowledges)
    assert stats["median_hours_to_resolve"] == 20.0  # 10 and 30
    assert stats["within_deadline_share"] == 0.5
    text = json.dumps(stats)
    assert people["owner"].phone not in text and "好了" not in text


def test_empty_community_has_null_rates(db, ctx, community):
    stats = public.issue_stats(community.id)
    assert stats["total"] == 0
    assert stats["response_rate"] is None and stats["median_hours_to_resolve"] is None


def test_overdue_counts_in_one_query(app, db, ctx, community, people):
    t = utcnow() - timedelta(days=2)
    report(people["owner"], community, category="safety", urgency="emergency", now=t)
    report(people["owner"], community, category="noise", now=t)  # ack overdue (24 h)
    report(people["owner"], community, category="noise")  # fresh
    other = people["outsider"].residencies[0].community
    report(people["outsider"], other, category="noise", now=t)
    statements = []

    def count(*args, **kwargs):
        statements.append(args[2])

    event.listen(_db.engine, "before_cursor_execute", count)
    try:
        result = public.overdue_counts()
    finally:
        event.remove(_db.engine, "before_cursor_execute", count)
    assert result == {community.id: 2, other.id: 1}
    assert len(statements) == 1
    assert public.overdue_counts(utcnow() - timedelta(days=3)) == {}


def test_stats_api_is_public_and_has_no_personal_data(client, db, ctx, community, people):
    _story(db, community, people)
    resp = client.get(f"/api/v1/communities/{community.code}/issues/stats")
    assert resp.status_code == 200
    data = resp.get_json()
    assert data["community"] == community.code
    assert data["total"] == 5 and data["within_deadline_share"] == 0.5
    body = resp.get_data(as_text=True)
    for person in people.values():
        assert person.phone not in body and person.name not in body
    missing = client.get("/api/v1/communities/NOPE/issues/stats")
    assert missing.status_code == 404 and missing.get_json() == {"error": "no such community"}


def test_stats_in_the_openapi_document(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    op = doc["paths"]["/communities/{code}/issues/stats"]["get"]
    schema = op["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/IssueStats"}
    props = doc["components"]["schemas"]["IssueStats"]["properties"]
    assert {
        "by_status",
        "by_category",
        "response_rate",
        "resolution_rate",
        "median_hours_to_acknowledge",
        "median_hours_to_resolve",
        "within_deadline_share",
    } <= set(props)
