"""The committee's archive exports of pledges (step 3) and issue reports with their timelines
(step 4): the files open in openpyxl, their rows equal fixture data worked out by hand, people
are masked (full name only with the honour-roll opt-in), headers follow the reader's language,
one query per table whatever the number of rows, and only the committee gets them."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest
from openpyxl import load_workbook
from sqlalchemy import event

from participation.build.models import Issue, IssueEvent
from participation.core.models import Building, Entrance
from participation.extensions import db as _db
from participation.pledge.models import Pledge
from participation.share import records

T0 = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


def _sheet(data: bytes):
    wb = load_workbook(io.BytesIO(data))
    return [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)]


@pytest.fixture()
def pledges(db, community, units, people):
    owner, tenant = people["owner"], people["tenant"]
    owner.name, tenant.name = "王小明", "李四"
    rows = [
        Pledge(  # money, opted in to the honour roll, received
            community_id=community.id,
            unit_id=units[0].id,
            user_id=owner.id,
            token="a" * 20,
            kind="money",
            status="fulfilled",
            amount=D("1500.00"),
            honour=True,
            created_at=T0,
            fulfilled_at=T0 + timedelta(days=2),
            reference="R-001",
            confirmed_value=D("1500.00"),
        ),
        Pledge(  # labour, not on the honour roll: masked
            community_id=community.id,
            unit_id=units[3].id,
            user_id=tenant.id,
            token="b" * 20,
            kind="labour",
            status="pledged",
            hours=D("4.5"),
            skill="cleaning",
            honour=False,
            created_at=T0 + timedelta(hours=1),
        ),
        Pledge(  # materials on paper, recorded by the committee, then cancelled
            community_id=community.id,
            unit_id=units[4].id,
            user_id=None,
            recorded_by_id=people["committee"].id,
            evidence="No. 0012",
            token="c" * 20,
            kind="materials",
            status="cancelled",
            item="涂料",
            quantity="2桶",
            value=D("300.00"),
            created_at=T0 + timedelta(hours=2),
            cancelled_at=T0 + timedelta(days=1),
        ),
    ]
    db.session.add_all(rows)
    db.session.commit()
    return rows


def test_pledges_export_rows(client, db, community, people, pledges):
    client.login(people["committee"])
    resp = client.get("/c/T01/exports/pledges.xlsx")
    assert resp.status_code == 200
    rows = _sheet(resp.data)
    assert rows[0] == [
        "Building", "Unit", "Pledged by (masked unless on the honour roll)", "Type",
        "Amount (yuan)", "Hours", "Skill", "Materials", "Quantity", "Estimated value (yuan)",
        "State", "Pledged on", "Received on", "Value received (yuan)", "Hours worked",
        "Withdrawn or cancelled on", "Reference", "Recorded by the committee (paper)",
    ]  # fmt: skip
    assert len(rows) == 4
    assert rows[1] == [
        "1", "1-1-101", "王小明", "Money", 1500, None, None, None, None, None, "Received",
        datetime(2026, 3, 1, 10, 0), datetime(2026, 3, 3, 10, 0), 1500, None, None, "R-001", None,
    ]  # fmt: skip
    assert rows[2] == [
        "1", "1-1-202", "李*", "Labour", None, 4.5, "Cleaning", None, None, None,
        "Pledged, not yet received", datetime(2026, 3, 1, 11, 0), None, None, None, None,
        None, None,
    ]  # fmt: skip
    # The paper pledge: the household is the register's owner, masked like the register.
    assert rows[3] == [
        "1", "1-2-101", "业********", "Materials", None, None, None, "涂料", "2桶", 300,
        "Cancelled", datetime(2026, 3, 1, 12, 0), None, None, None,
        datetime(2026, 3, 2, 10, 0), None, "yes: No. 0012",
    ]  # fmt: skip


def test_pledges_export_csv_and_chinese_headers(client, db, community, people, pledges):
    client.login(people["committee"])
    resp = client.get("/c/T01/exports/pledges.csv")
    assert resp.status_code == 200 and resp.data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(resp.data.decode("utf-8-sig"))))
    assert len(rows) == 4
    assert rows[1][:5] == ["1", "1-1-101", "王小明", "Money", "1500.00"]
    assert rows[1][11] == "2026-03-01 10:00"
    assert rows[2][2] == "李*" and rows[2][5] == "4.50"
    client.set_cookie("lang", "zh_Hans")
    zh = _sheet(client.get("/c/T01/exports/pledges.xlsx").data)
    assert zh[0][0] == "楼栋" and zh[0][1] != "Unit" and zh[1][3] != "Money"


@pytest.fixture()
def issues(db, community, people):
    building = db.session.query(Building).filter_by(community_id=community.id, name="1").one()
    entrance = db.session.query(Entrance).filter_by(building_id=building.id, name="2").one()
    owner = people["owner"]
    owner.name = "王小明"
    first = Issue(
        community_id=community.id,
        reporter_id=owner.id,
        category="noise",
        urgency="normal",
        party="property",
        status="acknowledged",
        building_id=building.id,
        entrance_id=entrance.id,
        floor="3",
        spot="楼道",
        description="电钻太吵",
        created_at=T0,
        ack_due=T0 + timedelta(hours=24),
        resolve_due=T0 + timedelta(days=3),
        acknowledged_at=T0 + timedelta(hours=2),
        me_too_count=1,
    )
    second = Issue(
        community_id=community.id,
        reporter_id=people["tenant"].id,
        category="safety",
        urgency="emergency",
        party="contractor",
        status="submitted",
        description="=1+1",
        created_at=T0 + timedelta(hours=5),
        ack_due=T0 + timedelta(hours=7),
        resolve_due=T0 + timedelta(hours=29),
    )
    db.session.add_all([first, second])
    db.session.flush()
    db.session.add_all(
        [
            IssueEvent(issue_id=first.id, at=T0, kind="submitted", status="submitted"),
            IssueEvent(
                issue_id=first.id, at=T0 + timedelta(hours=2), kind="acknowledged",
                status="acknowledged", note="明天处理",
            ),
            IssueEvent(
                issue_id=first.id, at=T0 + timedelta(hours=3), kind="me_too",
                status="acknowledged",
            ),
            IssueEvent(
                issue_id=second.id, at=T0 + timedelta(hours=5), kind="submitted",
                status="submitted",
            ),
        ]
    )  # fmt: skip
    db.session.commit()
    return first, second


def test_issues_export_rows_with_timeline(client, db, community, people, issues):
    first, second = issues
    client.login(people["committee"])
    rows = _sheet(client.get("/c/T01/exports/issues.xlsx").data)
    assert rows[0][:3] == ["Number", "Reported by (masked)", "Category"]
    assert rows[0][-1] == "Timeline"
    assert len(rows) == 3
    assert rows[1] == [
        first.id, "王**", "Noise", "Normal", "1-2 3 楼道", "电钻太吵", "Property company", "Seen",
        datetime(2026, 3, 1, 10, 0), datetime(2026, 3, 2, 10, 0), datetime(2026, 3, 1, 12, 0),
        datetime(2026, 3, 4, 10, 0), None, None, 0, 1,
        "2026-03-01 10:00 Waiting for an answer\n"
        "2026-03-01 12:00 Seen: 明天处理\n"
        "2026-03-01 13:00 A neighbour said “me too”",
    ]  # fmt: skip
    assert rows[2][:8] == [
        second.id, "测***", "Safety hazard", "Emergency: danger, flooding, no water or power",
        None, "'=1+1", "Contractor", "Waiting for an answer",
    ]  # fmt: skip
    assert rows[2][-1] == "2026-03-01 15:00 Waiting for an answer"
    csv_rows = list(
        csv.reader(io.StringIO(client.get("/c/T01/exports/issues.csv").data.decode("utf-8-sig")))
    )
    assert len(csv_rows) == 3 and csv_rows[1][1] == "王**"


def _statements(fn, community) -> int:
    seen = []
    _db.session.expire_all()
    assert community.id  # loaded before counting

    def before(conn, cursor, statement, *args, **kwargs):
        seen.append(statement)

    event.listen(_db.engine, "before_cursor_execute", before)
    try:
        fn()
    finally:
        event.remove(_db.engine, "before_cursor_execute", before)
    return len(seen)


def test_one_query_per_table_whatever_the_rows(app, db, community, pledges, issues):
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        assert _statements(lambda: records.pledges_table(community, "en"), community) == 1
        assert _statements(lambda: records.issues_table(community, "en"), community) == 2


@pytest.mark.parametrize("role", ["city", "owner", "tenant", "property", "other_committee"])
@pytest.mark.parametrize("kind", ["pledges", "issues"])
def test_only_the_committee_of_the_community(client, db, community, people, role, kind):
    client.login(people[role])
    assert client.get(f"/c/T01/exports/{kind}.xlsx").status_code == 403
    assert client.get(f"/c/T01/exports/{kind}.csv").status_code == 403


@pytest.mark.parametrize("role", ["committee", "city"])
def test_exports_page_links(client, db, community, people, role):
    client.login(people[role])
    resp = client.get("/c/T01/exports")
    html = resp.get_data(as_text=True)
    shown = "/c/T01/exports/pledges.xlsx" in html and "/c/T01/exports/issues.csv" in html
    assert shown == (role == "committee")
