"""The committee's vote pages through the test client: drafting (scope, rule, times in the
community's zone, the electorate preview), opening with the notice-period check, closing early
with a reason, deleting a draft, paper ballots one at a time (with supersede), sheet import
(check, then apply: all or nothing) and proxies."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from participation.core.models import AuditEntry
from participation.core.timeutil import aware, utcnow
from participation.extensions import db
from participation.voting import services
from participation.voting.models import Ballot, Vote, VoteProxy
from tests.voting import helpers
from tests.voting.view_fixtures import HX, ROLES, ballot_of, ballots, close, flashes, text


def words(resp) -> str:
    """The page's text without tags, spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", text(resp)).split()).replace(" ,", ",")


OK, NO, LOGIN = 200, 403, "login"


def check(resp, expected) -> None:
    if expected == LOGIN:
        assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    else:
        assert resp.status_code == expected, (resp.status_code, text(resp)[:300])


def audit() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def local(days: int, hour: int = 10) -> str:
    """A datetime-local value `days` from today in Asia/Shanghai."""
    from zoneinfo import ZoneInfo

    day = datetime.now(ZoneInfo("Asia/Shanghai")).date() + timedelta(days=days)
    return f"{day.isoformat()}T{hour:02d}:00"


def form(topic_id=None, **changes) -> dict:
    data = {
        "title": "是否同意更换小区大门",
        "question": "您是否同意用维修资金更换小区大门？",
        "scope": "community",
        "rule": "ordinary",
        "opens_at": local(1),
        "closes_at": local(8, 20),
        "result_notice_days": "7",
        "action": "save",
    }
    if topic_id is not None:
        data["topic"] = str(topic_id)
    data.update(changes)
    return data


@pytest.fixture()
def topic(db, community):
    return helpers.topic(db.session, community)  # posted ten days ago: notice period over


@pytest.fixture()
def committee_client(as_user, people):
    return as_user(people["committee"])


# --- who may use the committee's pages ------------------------------------------------------

#                 anon   owner family tenant committee property city outsider other_committee
COMMITTEE_ONLY = (LOGIN, NO, NO, NO, OK, NO, NO, NO, NO)


# Not "page": that name is pytest-playwright's fixture (it would make this a browser test).
@pytest.mark.parametrize(
    "screen", ["new", "edit", "paper", "import", "proxies", "close", "preview"]
)
def test_committee_pages_are_for_the_committee(db, as_user, community, people, vote, screen):
    draft = helpers.draft_vote(db.session, community, actor=people["committee"])
    url = {
        "new": "/c/T01/votes/new",
        "edit": f"/c/T01/votes/{draft.id}/edit",
        "paper": f"/c/T01/votes/{vote.id}/paper",
        "import": f"/c/T01/votes/{vote.id}/import",
        "proxies": f"/c/T01/votes/{vote.id}/proxies",
        "close": f"/c/T01/votes/{vote.id}/close",
        "preview": "/c/T01/votes/preview?scope=community",
    }[screen]
    # Even the city, which may look at drafts, may not use these pages.
    for role, status in zip(ROLES, COMMITTEE_ONLY, strict=True):
        client = as_user(None if role == "anon" else people[role])
        check(client.get(url, headers=HX if screen == "preview" else {}), status)


@pytest.mark.parametrize("action", ["open", "delete", "close"])
def test_state_changes_refuse_everybody_but_the_committee(
    db, as_user, community, people, vote, action
):
    draft = helpers.draft_vote(db.session, community, actor=people["committee"])
    target = vote if action == "close" else draft
    url = f"/c/T01/votes/{target.id}/{action}"
    for role in ("owner", "family", "property", "city", "outsider"):
        resp = as_user(people[role]).post(url, {"reason": "x"})
        assert resp.status_code == 403, role
    resp = as_user(people["other_committee"]).post(f"/c/T02/votes/{target.id}/{action}")
    assert resp.status_code == 404
    db.session.expire_all()
    assert db.session.get(Vote, target.id).status == ("open" if action == "close" else "draft")


# --- the draft's form ---------------------------------------------------------------------


def test_a_new_vote_starts_from_its_topic_with_sensible_defaults(committee_client, topic):
    resp = committee_client.get(f"/c/T01/votes/new?topic={topic.id}")
    html = text(resp)
    assert f'<option selected value="{topic.id}">' in html or re.search(
        rf'<option[^>]*value="{topic.id}"[^>]*selected', html
    )
    assert 'type="datetime-local"' in html and 'name="opens_at"' in html
    assert "15 owners, 16 homes, 1,288.00 m²" in words(resp)
    for rule in ("Ordinary decision", "Special decision", "Custom rule", "Advisory poll"):
        assert rule in html
    assert "more than half of the participating area" in html  # each rule explained
    assert 'value="7"' in html  # result notice days


def test_creating_a_draft_converts_local_times_to_utc(committee_client, topic):
    data = form(topic.id, opens_at=local(1, 10), closes_at=local(8, 20), turnout_public="y")
    resp = committee_client.post("/c/T01/votes/new", data)
    assert resp.status_code == 302, text(resp)[:2000]
    vote = db.session.scalar(select(Vote))
    assert resp.headers["Location"].endswith(f"/c/T01/votes/{vote.id}")
    opens = aware(vote.opens_at)
    assert opens.hour == 2 and opens.tzinfo is not None  # 10:00 in Shanghai is 02:00 UTC
    assert aware(vote.closes_at).hour == 12
    assert (vote.status, vote.rule, vote.scope_kind, vote.turnout_public) == (
        "draft",
        "ordinary",
        "community",
        True,
    )
    assert "vote.create" in audit()


@pytest.mark.parametrize(
    "changes,field,message",
    [
        ({"closes_at": local(3, 20)}, "closes_at", "between 5 and 60 days"),
        ({"closes_at": local(70, 20)}, "closes_at", "between 5 and 60 days"),
        ({"title": ""}, "title", "Please give the vote a title."),
        ({"question": ""}, "question", "Please write the question"),
        ({"scope": "buildings"}, "scope", "Please choose at least one building."),
        ({"scope": "entrance"}, "scope", "Please choose one entrance."),
        ({"rule": "custom", "approval": "4/3"}, "rule", "Shares are fractions between 0 and 1"),
        ({"opens_at": ""}, "opens_at", "Please set when the vote opens and closes."),
    ],
)
def test_refusals_are_shown_next_to_their_field(committee_client, topic, changes, field, message):
    resp = committee_client.post("/c/T01/votes/new", form(topic.id, **changes))
    assert resp.status_code == 400
    html = text(resp)
    error = re.search(rf'<p class="error" id="{field}-err">(.*?)</p>', html, re.S)
    assert error and message in error.group(1), html[html.find("error") - 200 :][:800]
    assert db.session.scalar(select(func.count(Vote.id))) == 0


def test_a_vote_cannot_open_before_the_topics_notice_period_ends(db, committee_client, community):
    young = helpers.topic(db.session, community, posted_at=utcnow() - timedelta(days=1))
    resp = committee_client.post("/c/T01/votes/new", form(young.id, opens_at=local(2)))
    assert resp.status_code == 400
    error = re.search(r'<p class="error" id="opens_at-err">(.*?)</p>', text(resp), re.S)
    assert "notice period ends on" in error.group(1)


def test_scopes_and_a_custom_rule(committee_client, topic, units):
    entrance = units[4].entrance_id
    resp = committee_client.post(
        "/c/T01/votes/new",
        form(
            topic.id,
            scope="entrance",
            entrance=str(entrance),
            rule="custom",
            approval="2/3",
            approval_cmp="at_least",
            approval_base="electorate",
            quorum="",
        ),
    )
    assert resp.status_code == 302
    vote = db.session.scalar(select(Vote))
    assert (vote.scope_kind, vote.scope_ids) == ("entrance", [entrance])
    assert (vote.approval_num, vote.approval_den, vote.approval_base) == (2, 3, "electorate")
    assert vote.quorum_num is None
    html = text(committee_client.get(f"/c/T01/votes/{vote.id}"))
    assert "Entrance 1-2" in html and "Custom rule, no quorum." in html
    # The edit form comes back as it was saved.
    html = text(committee_client.get(f"/c/T01/votes/{vote.id}/edit"))
    assert 'value="2/3"' in html
    assert re.search(rf'<option selected value="{entrance}">|value="{entrance}" selected', html)
    resp = committee_client.post(
        f"/c/T01/votes/{vote.id}/edit",
        form(scope="buildings", buildings=[str(units[0].entrance.building_id)]),
    )
    assert resp.status_code == 302
    db.session.expire_all()
    vote = db.session.get(Vote, vote.id)
    assert (vote.scope_kind, vote.rule) == ("buildings", "ordinary")
    assert "vote.edit" in audit()


def test_the_electorate_preview_with_htmx_and_without(committee_client, topic, units):
    entrance = units[0].entrance_id  # 1-1: 3 owners, 4 homes
    resp = committee_client.get(
        f"/c/T01/votes/preview?scope=entrance&entrance={entrance}", headers=HX
    )
    assert resp.status_code == 200 and "<html" not in text(resp)
    assert "3 owners, 4 homes, 322.00 m²" in words(resp)
    resp = committee_client.get("/c/T01/votes/preview?scope=buildings", headers=HX)
    assert "0 owners" in text(resp) and "No owner has a home in this scope yet." in text(resp)
    # Without JavaScript: the "Show who votes" button posts the form, which saves nothing.
    resp = committee_client.post(
        "/c/T01/votes/new",
        form(topic.id, scope="entrance", entrance=str(entrance), action="preview"),
    )
    assert resp.status_code == 200
    assert "3 owners, 4 homes, 322.00 m²" in words(resp)
    assert db.session.scalar(select(func.count(Vote.id))) == 0
    assert 'data-hx-get="/c/T01/votes/preview"' in text(resp)


def test_an_open_vote_cannot_be_edited(committee_client, vote):
    resp = committee_client.get(f"/c/T01/votes/{vote.id}/edit")
    assert resp.status_code == 302
    assert "Only a draft can be edited." in " ".join(
        flashes(text(committee_client.get(resp.headers["Location"])))
    )


# --- opening, deleting, closing -------------------------------------------------------------


def test_opening_waits_for_the_notice_period_and_says_when(db, committee_client, community, people):
    young = helpers.topic(db.session, community, posted_at=utcnow() - timedelta(days=2))
    draft = services.create_vote(
        people["committee"],
        young,
        title="草稿",
        question="？",
        rule="ordinary",
        opens_at=utcnow() + timedelta(days=6),
        closes_at=utcnow() + timedelta(days=14),
    )
    db.session.commit()
    html = text(committee_client.get(f"/c/T01/votes/{draft.id}"))
    assert "notice period ends on" in html and "the vote cannot open earlier" in html
    assert f'action="/c/T01/votes/{draft.id}/open"' not in html
    resp = committee_client.post(f"/c/T01/votes/{draft.id}/open")  # a stale page
    assert resp.status_code == 302
    assert "notice period ends on" in " ".join(
        flashes(text(committee_client.get(resp.headers["Location"])))
    )
    db.session.expire_all()
    assert db.session.get(Vote, draft.id).status == "draft"


def test_opening_now_would_make_the_period_too_long(db, committee_client, community, people):
    topic = helpers.topic(db.session, community)
    draft = services.create_vote(
        people["committee"],
        topic,
        title="草稿",
        question="？",
        rule="ordinary",
        opens_at=utcnow() + timedelta(days=10),
        closes_at=utcnow() + timedelta(days=68),
    )
    db.session.commit()
    html = text(committee_client.get(f"/c/T01/votes/{draft.id}"))
    assert "between 5 and 60 days" in html
    assert re.search(r"Opened now, it would run 6[78] days: change the closing time first.", html)
    assert f'action="/c/T01/votes/{draft.id}/open"' not in html


def test_opening_a_ready_draft(db, committee_client, community, people):
    draft = helpers.draft_vote(db.session, community, actor=people["committee"])
    html = text(committee_client.get(f"/c/T01/votes/{draft.id}"))
    assert f'action="/c/T01/votes/{draft.id}/open"' in html and "Open the vote now" in html
    resp = committee_client.post(f"/c/T01/votes/{draft.id}/open")
    html = text(committee_client.get(resp.headers["Location"]))
    assert "The vote is open: 15 owners holding 1288.00 m² may vote." in " ".join(flashes(html))
    db.session.expire_all()
    assert db.session.get(Vote, draft.id).status == "open"
    # A second press (another tab) is told, not failed.
    resp = committee_client.post(f"/c/T01/votes/{draft.id}/open")
    assert "already open or closed" in " ".join(
        flashes(text(committee_client.get(resp.headers["Location"])))
    )


def test_deleting_a_draft(db, committee_client, community, people, vote):
    draft = helpers.draft_vote(db.session, community, actor=people["committee"], title="作废草稿")
    resp = committee_client.post(f"/c/T01/votes/{draft.id}/delete")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/c/T01/votes")
    assert db.session.get(Vote, draft.id) is None
    assert "vote.delete" in audit()
    resp = committee_client.post(f"/c/T01/votes/{vote.id}/delete")  # an open vote stays
    assert db.session.get(Vote, vote.id) is not None


def test_closing_early_needs_a_reason(db, as_user, committee_client, people, vote):
    html = text(committee_client.get(f"/c/T01/votes/{vote.id}/close"))
    assert "cannot be undone" in html
    resp = committee_client.post(f"/c/T01/votes/{vote.id}/close", {"reason": "  "})
    assert resp.status_code == 400
    assert re.search(r'id="reason-err">[^<]*Closing a vote early needs a reason.', text(resp))
    db.session.expire_all()
    assert db.session.get(Vote, vote.id).status == "open"
    resp = committee_client.post(f"/c/T01/votes/{vote.id}/close", {"reason": "业委会决定提前结束"})
    assert resp.status_code == 302
    db.session.expire_all()
    closed = db.session.get(Vote, vote.id)
    assert (closed.status, closed.closed_early_reason) == ("closed", "业委会决定提前结束")
    assert closed.final_hash
    html = text(as_user(people["tenant"]).get(f"/c/T01/votes/{vote.id}"))
    assert "Reason: 业委会决定提前结束" in html and "NOT PASSED" in html
    # The committee is pointed at the printable notice.
    html = text(committee_client.get(f"/c/T01/votes/{vote.id}"))
    assert f'href="/c/T01/votes/{vote.id}/notice"' in html and "Print the result notice" in html


# --- paper ballots ------------------------------------------------------------------------------


def test_a_paper_ballot_typed_as_a_home_label(committee_client, people, vote, units):
    html = text(committee_client.get(f"/c/T01/votes/{vote.id}/paper"))
    assert 'placeholder="3-2-501"' in html and "Ballots: 0 online, 0 on paper, 0 by proxy." in html
    resp = committee_client.post(
        f"/c/T01/votes/{vote.id}/paper", {"unit": "1-2-101", "choice": "agree", "reference": "P-1"}
    )
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/paper")
    ballot = ballot_of(vote, units[4])
    assert (ballot.channel, ballot.reference, ballot.cast_by_user_id) == (
        "paper",
        "P-1",
        people["committee"].id,
    )
    html = text(committee_client.get(resp.headers["Location"]))
    assert "Paper ballot P-1 for 1-2-101 is recorded: Agree." in " ".join(flashes(html))
    assert "Last paper ballots recorded" in html and "1-2-101" in html
    assert "Ballots: 0 online, 1 on paper, 0 by proxy." in html


def test_a_paper_ballot_from_the_three_lists(committee_client, vote, units):
    data = {"building": "2", "entrance": "1", "room": "201", "choice": "disagree", "reference": "7"}
    resp = committee_client.post(f"/c/T01/votes/{vote.id}/paper", data)
    assert resp.status_code == 302
    assert ballot_of(vote, units[10]).choice == "disagree"  # 2-1-201


@pytest.mark.parametrize(
    "data,field,message",
    [
        ({"unit": "9-9-901", "choice": "agree", "reference": "1"}, "unit", "No home 9-9-901"),
        ({"unit": "1-1", "choice": "agree", "reference": "1"}, "unit", "like 3-2-501"),
        ({"choice": "agree", "reference": "1"}, "unit", "Choose the building, entrance and room"),
        ({"unit": "1-2-101", "choice": "agree", "reference": ""}, "reference", "number written"),
        (
            {"unit": "1-2-101", "reference": "1"},
            "choice",
            "Please choose agree, disagree or abstain.",
        ),
    ],
)
def test_paper_ballot_refusals_next_to_the_field(committee_client, vote, data, field, message):
    resp = committee_client.post(f"/c/T01/votes/{vote.id}/paper", data)
    assert resp.status_code == 400
    error = re.search(rf'<p class="error" id="{field}-err">(.*?)</p>', text(resp), re.S)
    assert error and message in error.group(1), text(resp)[:3000]
    assert ballots(vote) == 0


def test_a_paper_ballot_never_silently_replaces_an_online_one(
    committee_client, people, vote, units
):
    services.cast_ballot(people["owner2"], vote, "disagree")  # 1-1-201, online
    db.session.commit()
    receipt = ballot_of(vote, units[2]).receipt_display
    data = {"unit": "1-1-201", "choice": "agree", "reference": "P-5"}
    resp = committee_client.post(f"/c/T01/votes/{vote.id}/paper", data)
    assert resp.status_code == 400
    html = text(resp)
    assert f"This owner already voted online (receipt {receipt})" in html
    assert "Replace it with this paper ballot?" in html and 'name="supersede" value="1"' in html
    assert ballot_of(vote, units[2]).choice == "disagree"
    # The second form: without a reason, refused again; with one, the paper ballot replaces it.
    resp = committee_client.post(
        f"/c/T01/votes/{vote.id}/paper", {**data, "supersede": "1", "supersede_reason": ""}
    )
    assert resp.status_code == 400 and "Please give a reason." in text(resp)
    assert ballot_of(vote, units[2]).choice == "disagree"
    resp = committee_client.post(
        f"/c/T01/votes/{vote.id}/paper",
        {**data, "supersede": "1", "supersede_reason": "业主本人到办公室确认纸质票"},
    )
    assert resp.status_code == 302
    ballot = ballot_of(vote, units[2])
    assert (ballot.choice, ballot.channel, ballot.receipt_display) == ("agree", "paper", receipt)
    assert "vote.supersede" in audit()


def test_paper_ballots_only_while_open(committee_client, people, vote):
    close(vote, people["committee"])
    resp = committee_client.get(f"/c/T01/votes/{vote.id}/paper")
    assert resp.status_code == 302
    assert "only while the vote is open" in " ".join(
        flashes(text(committee_client.get(resp.headers["Location"])))
    )


# --- a sheet of paper ballots ----------------------------------------------------------------


def csv_file(*rows: str, name: str = "ballots.csv"):
    body = "\n".join(["楼栋,单元,房号,意见,编号", *rows]) + "\n"
    return (io.BytesIO(body.encode("gb18030")), name)


def xlsx_file(rows):
    book = Workbook()
    sheet = book.active
    sheet.append(["building", "entrance", "room", "choice", "reference"])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    return (out, "ballots.xlsx")


def upload(client, vote, file):
    return client.post(
        f"/c/T01/votes/{vote.id}/import", {"sheet": file}, content_type="multipart/form-data"
    )


def apply_token(html: str) -> str:
    match = re.search(r'name="token" type="hidden" value="([^"]+)"', html) or re.search(
        r'type="hidden" name="token" value="([^"]+)"', html
    )
    assert match, html[:3000]
    return match.group(1)


def test_a_good_sheet_is_checked_then_recorded(committee_client, vote, units):
    resp = upload(
        committee_client,
        vote,
        csv_file("1,2,101,同意,A1", "1,2,201,反对,A2", "2号楼,1单元,101,弃权,A3"),
    )
    assert resp.status_code == 200
    html = text(resp)
    assert "Every row is right" in html and "Record 3 paper ballots" in html
    assert ballots(vote) == 0  # checked, not written
    token = apply_token(html)
    resp = committee_client.post(f"/c/T01/votes/{vote.id}/import/apply", {"token": token})
    assert resp.status_code == 302
    assert ballots(vote) == 3
    assert ballot_of(vote, units[8]).choice == "abstain"
    html = text(committee_client.get(resp.headers["Location"]))
    assert "3 paper ballots are recorded; 0 rows were already recorded." in " ".join(flashes(html))
    # The token is spent: applying again is refused, not doubled.
    resp = committee_client.post(f"/c/T01/votes/{vote.id}/import/apply", {"token": token})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/import")
    assert ballots(vote) == 3


def test_an_xlsx_sheet(committee_client, vote):
    resp = upload(committee_client, vote, xlsx_file([[1, 2, 101, "agree", "X1"]]))
    assert resp.status_code == 200 and "Record 1 paper ballot" in text(resp)
    token = apply_token(text(resp))
    committee_client.post(f"/c/T01/votes/{vote.id}/import/apply", {"token": token})
    assert ballots(vote) == 1


def test_a_bad_sheet_lists_every_bad_row_and_records_nothing(committee_client, people, vote):
    services.cast_ballot(people["owner"], vote, "agree")  # 1-1-101 voted online
    db.session.commit()
    resp = upload(
        committee_client,
        vote,
        csv_file(
            "1,2,101,同意,B1",  # fine
            "9,9,909,同意,B2",  # no such home
            "1,1,102,反对,B3",  # its owner voted online
            "1,2,201,也许,B4",  # unknown choice
            "1,2,202,同意,B1",  # reference used twice
        ),
    )
    assert resp.status_code == 400
    html = " ".join(text(resp).split())
    assert "4 rows have problems. Nothing is recorded" in html
    for row, reason in (
        (3, "No home 9-9-909 in the register."),
        (4, "already voted online"),
        (5, "Unknown choice"),
        (6, "Reference B1 is also on row 2."),
    ):
        assert re.search(
            rf'<th scope="row" class="num">{row}</th><td>[^<]*{re.escape(reason)}', html
        ), row
    assert 'name="token"' not in html
    assert ballots(vote) == 1


def test_an_unreadable_file_is_refused_next_to_the_field(committee_client, vote):
    resp = upload(committee_client, vote, (io.BytesIO(b"\x00\x01binary"), "ballots.xls"))
    assert resp.status_code == 400
    assert re.search(r'id="sheet-err">[^<]*\.xls', text(resp))
    resp = committee_client.post(f"/c/T01/votes/{vote.id}/import/apply", {"token": "x" * 30})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/import")


# --- proxies ------------------------------------------------------------------------------------


def test_recording_a_proxy_who_then_votes_and_revoking_it(
    db, as_user, committee_client, people, vote, units
):
    family = people["family"]
    url = f"/c/T01/votes/{vote.id}/proxies"
    resp = committee_client.post(
        url,
        {
            "owner": "1-1-201",
            "proxy": f" {family.phone[:3]} {family.phone[3:]} ",
            "evidence": "委托书及身份证已核",
        },
    )
    assert resp.status_code == 302
    proxy = db.session.scalar(select(VoteProxy))
    assert (proxy.owner_id, proxy.proxy_user_id) == (units[2].owner_id, family.id)
    html = text(committee_client.get(url))
    assert "For the owner of 1-1-201" in html and family.phone not in html
    assert family.phone[:3] + "****" + family.phone[-4:] in html
    # The proxy votes for the owner on the vote page.
    proxy_client = as_user(family)
    resp = proxy_client.post(
        f"/c/T01/votes/{vote.id}/cast", {"choice": "disagree", "owner": units[2].owner_id}
    )
    assert resp.status_code == 302
    assert ballot_of(vote, units[2]).channel == "proxy"
    html = text(committee_client.get(f"/c/T01/votes/{vote.id}"))
    assert "Ballots: 0 online, 0 on paper, 1 by proxy." in html
    # Revoking needs a reason; the ballot it cast stays.
    resp = committee_client.post(f"{url}/{proxy.id}/revoke", {"reason": ""})
    assert "Please give a reason." in " ".join(
        flashes(text(committee_client.get(resp.headers["Location"])))
    )
    resp = committee_client.post(f"{url}/{proxy.id}/revoke", {"reason": "业主收回委托"})
    db.session.expire_all()
    assert db.session.get(VoteProxy, proxy.id).revoked_at is not None
    assert ballot_of(vote, units[2]).channel == "proxy"
    html = text(committee_client.get(url))
    assert "1 revoked proxy" in html and "业主收回委托" in html
    assert "As proxy" not in text(proxy_client.get(f"/c/T01/votes/{vote.id}"))


@pytest.mark.parametrize(
    "data,field,message",
    [
        (
            {"owner": "1-1-201", "proxy": "13000000000", "evidence": "x"},
            "proxy",
            "No account uses this number.",
        ),
        ({"owner": "7-7-707", "proxy": None, "evidence": "x"}, "owner", "No home 7-7-707"),
        (
            {"owner": "1-1-201", "proxy": None, "evidence": ""},
            "evidence",
            "Please note the evidence",
        ),
    ],
)
def test_proxy_refusals_next_to_the_field(committee_client, people, vote, data, field, message):
    data = {**data, "proxy": data["proxy"] or people["family"].phone}
    resp = committee_client.post(f"/c/T01/votes/{vote.id}/proxies", data)
    assert resp.status_code == 400
    error = re.search(rf'<p class="error" id="{field}-err">(.*?)</p>', text(resp), re.S)
    assert error and message in error.group(1)
    assert db.session.scalar(select(func.count(VoteProxy.id))) == 0


def test_no_proxies_after_closing(committee_client, people, vote):
    close(vote, people["committee"])
    html = text(committee_client.get(f"/c/T01/votes/{vote.id}/proxies"))
    assert "Record a proxy" not in html
    resp = committee_client.post(
        f"/c/T01/votes/{vote.id}/proxies",
        {"owner": "1-1-201", "proxy": people["family"].phone, "evidence": "x"},
    )
    assert resp.status_code == 302
    assert db.session.scalar(select(func.count(VoteProxy.id))) == 0


def test_times_on_the_vote_page_are_local(committee_client, community, people):
    vote = helpers.draft_vote(
        db.session,
        community,
        actor=people["committee"],
        opens_at=datetime(2030, 5, 1, 2, 0, tzinfo=UTC),
        closes_at=datetime(2030, 5, 8, 12, 0, tzinfo=UTC),
    )
    html = text(committee_client.get(f"/c/T01/votes/{vote.id}"))
    assert "1 May 2030, 10:00" in html and "8 May 2030, 20:00" in html
    html = text(committee_client.get(f"/c/T01/votes/{vote.id}/edit"))
    assert 'value="2030-05-01T10:00"' in html and 'value="2030-05-08T20:00"' in html
    assert ballots(vote) == 0 and Ballot
