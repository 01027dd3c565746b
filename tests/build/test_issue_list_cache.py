"""The issues list is cached with the community's data (core/cache.py), once for residents and
once for staff: a reader never sees another's view of it (their own reports, private photos),
a new report or a transition is listed at once, and a row turns "Overdue" when its deadline
passes without any write."""

from __future__ import annotations

import re
from datetime import timedelta

from participation.build import services
from participation.core.timeutil import utcnow
from tests.build.helpers import count_queries, report, upload
from tests.page_text import text

LIST = "/c/T01/issues"


def rows(page: str) -> str:
    found = re.search(r'<ul class="list card issue-list">.*?</ul>', page, re.S)
    return found.group(0) if found else ""


def test_each_reader_sees_their_own_reports_and_nobody_elses(as_user, db, ctx, community, people):
    mine = report(people["owner"], community, photos=[upload()], private=True)
    photo = f"photos/{mine.photos[0].id}/small"
    # Warm the residents' list as a neighbour, then read it as the reporter and as staff.
    neighbour = text(as_user(people["neighbour"]).get(LIST))
    assert "your report" not in neighbour and photo not in neighbour
    assert f"#{mine.id} " in neighbour
    reporter = text(as_user(people["owner"]).get(LIST))
    assert "your report" in reporter and photo in reporter
    staff = text(as_user(people["property"]).get(LIST))
    assert "your report" not in staff and photo in staff
    # And in the other order: the reporter's list was not kept for the others.
    assert rows(text(as_user(people["tenant"]).get(LIST))) == rows(neighbour)
    assert "your report" not in text(as_user(people["committee"]).get(LIST))


def test_a_new_report_and_a_transition_are_listed_at_once(as_user, db, ctx, community, people):
    first = report(people["owner"], community, category="utility")  # the property company's
    client = as_user(people["neighbour"])
    assert f"#{first.id} " in text(client.get(LIST))
    second = report(people["tenant"], community)
    page = text(client.get(LIST))
    assert f"#{first.id} " in page and f"#{second.id} " in page
    services.acknowledge(people["property"], first)
    db.session.commit()
    assert 'tag-acknowledged">Seen<' in rows(text(client.get(LIST)))


def test_a_cached_list_costs_the_same_few_queries_for_3_or_12_reports(
    as_user, db, ctx, community, people
):
    counts = []
    for total in (3, 12):
        while len(services.issue_list(community)) < total:
            report(people["owner"], community, photos=[upload()])
        client = as_user(people["neighbour"])
        client.get(LIST)  # fills the cache
        with count_queries() as statements:
            assert client.get(LIST).status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1] <= 3, counts


def test_a_row_turns_overdue_when_its_deadline_passes(as_user, db, ctx, community, people):
    """Reported long enough ago that the acknowledge deadline is seconds away: the cached list
    is not kept past it."""
    issue = report(people["owner"], community)
    issue.ack_due = utcnow() + timedelta(seconds=1.5)
    db.session.commit()
    client = as_user(people["neighbour"])
    assert "Overdue" not in rows(text(client.get(LIST)))
    import time

    time.sleep(1.7)
    assert "Overdue" in rows(text(client.get(LIST)))
