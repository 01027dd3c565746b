"""The vote pages residents use, through the test client: the list, the vote page for every
role, casting in two steps with htmx (fragments) and without (confirm page, redirect), changing
a ballot, refusals as messages, proxies, results, receipts and the printable result notice."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import update

from participation.core.qr import qr_svg
from participation.core.timeutil import utcnow
from participation.voting import services
from participation.voting import views as vote_views
from participation.voting.models import Vote
from tests.voting import helpers
from tests.voting.view_fixtures import (
    HX,
    ROLES,
    ballot_of,
    ballots,
    close,
    count_queries,
    flashes,
    selects,
    text,
)

OK, NO, LOGIN, GONE = 200, 403, "login", 404


def check(resp, expected) -> None:
    if expected == LOGIN:
        assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    else:
        assert resp.status_code == expected, (resp.status_code, text(resp)[:300])


# --- who sees what ----------------------------------------------------------------------------

#                   anon   owner family tenant committee property city outsider other_committee
PAGES = {
    "list": (LOGIN, OK, OK, OK, OK, OK, OK, NO, NO),
    "open vote": (LOGIN, OK, OK, OK, OK, OK, OK, NO, NO),
    "draft vote": (LOGIN, NO, NO, NO, OK, NO, OK, NO, NO),
    "receipts": (LOGIN, OK, OK, OK, OK, OK, OK, NO, NO),
    "notice": (LOGIN, OK, OK, OK, OK, OK, OK, NO, NO),
}


@pytest.fixture()
def scene(db, community, people, vote):
    draft = helpers.draft_vote(db.session, community, actor=people["committee"], title="草稿表决")
    closed = helpers.open_vote(db.session, community, actor=people["committee"], title="已结束表决")
    services.cast_ballot(people["owner"], closed, "agree")
    close(closed, people["committee"])
    return {"open": vote, "draft": draft, "closed": closed}


# Not "page": that name is pytest-playwright's fixture (it would make this a browser test).
@pytest.mark.parametrize("screen", list(PAGES))
def test_every_page_for_every_role(as_user, people, scene, screen):
    url = {
        "list": "/c/T01/votes",
        "open vote": f"/c/T01/votes/{scene['open'].id}",
        "draft vote": f"/c/T01/votes/{scene['draft'].id}",
        "receipts": f"/c/T01/votes/{scene['closed'].id}/receipts",
        "notice": f"/c/T01/votes/{scene['closed'].id}/notice",
    }[screen]
    for role, expected in zip(ROLES, PAGES[screen], strict=True):
        client = as_user(None if role == "anon" else people[role])
        check(client.get(url), expected)


def test_a_vote_is_only_found_in_its_own_community(as_user, people, scene):
    client = as_user(people["other_committee"])
    for suffix in ("", "/receipts", "/notice", "/ballot/1"):
        assert client.get(f"/c/T02/votes/{scene['open'].id}{suffix}").status_code == GONE
    resp = client.post(f"/c/T02/votes/{scene['open'].id}/cast", {"choice": "agree"})
    assert resp.status_code == GONE
    assert ballots(scene["open"]) == 0


def test_the_list_puts_open_first_then_drafts_then_closed_with_the_verdict(as_user, people, scene):
    html = text(as_user(people["committee"]).get("/c/T01/votes"))
    titles = [t for t in ("是否同意加装电梯", "草稿表决", "已结束表决") if t in html]
    assert titles == ["是否同意加装电梯", "草稿表决", "已结束表决"]
    assert html.index("是否同意加装电梯") < html.index("草稿表决") < html.index("已结束表决")
    assert "Closes in 6 days" in html or "Closes in 7 days" in html
    assert "NOT PASSED" in html  # 1 of 15 owners: no quorum
    assert "New vote" in html
    resident = text(as_user(people["owner"]).get("/c/T01/votes"))
    assert "草稿表决" not in resident and "New vote" not in resident
    assert "已结束表决" in resident and "NOT PASSED" in resident


def test_the_community_home_and_the_topic_link_to_the_votes(as_user, people, scene):
    home = text(as_user(people["tenant"]).get("/c/T01/"))
    assert 'href="/c/T01/votes"' in home
    topic_url = f"/c/T01/topics/{scene['open'].topic_id}"
    html = text(as_user(people["owner"]).get(topic_url))
    assert f'href="/c/T01/votes/{scene["open"].id}"' in html
    assert "Create a vote on this topic" not in html
    html = text(as_user(people["committee"]).get(topic_url))
    assert f"/c/T01/votes/new?topic={scene['open'].topic_id}" in html


# --- the vote page ------------------------------------------------------------------------------


def test_an_owner_sees_what_the_ballot_carries_and_three_answers(as_user, people, vote):
    html = text(as_user(people["owner"]).get(f"/c/T01/votes/{vote.id}"))
    assert "是否同意加装电梯" in html and "您是否同意本单元加装电梯？" in html
    assert "The whole community" in html and "15 owners" in html and "1,288.00 m²" in html
    assert "Ordinary decision" in html  # the rule in words
    assert re.search(r"Closes in (6|7) days", html)
    card = html[html.index('class="card ballot"') :]
    assert "2 homes" in card and "1-1-101" in card and "1-1-102" in card and "161.00 m²" in card
    for choice, word in (("agree", "Agree"), ("disagree", "Disagree"), ("abstain", "Abstain")):
        assert re.search(
            rf'<button class="btn btn-choice btn-{choice}" name="choice" value="{choice}"', card
        )
        assert word in card
    assert f'data-hx-post="/c/T01/votes/{vote.id}/confirm"' in card
    assert "Participation so far" not in html  # the turnout is not public


@pytest.mark.parametrize("role", ["family", "tenant"])
def test_family_and_tenants_are_told_why_they_cannot_vote(as_user, people, vote, role):
    html = text(as_user(people[role]).get(f"/c/T01/votes/{vote.id}"))
    assert "Only owners vote. The owner of your home can name you as their proxy" in html
    assert 'name="choice"' not in html


def test_staff_see_the_vote_without_a_ballot(as_user, people, vote):
    html = text(as_user(people["property"]).get(f"/c/T01/votes/{vote.id}"))
    assert 'name="choice"' not in html and "Only owners vote" not in html
    html = text(as_user(people["committee"]).get(f"/c/T01/votes/{vote.id}"))
    assert "Participation so far" in html  # the committee always sees the turnout
    assert "Ballots: 0 online, 0 on paper, 0 by proxy." in html


def test_an_owner_outside_the_scope_is_told_so(db, as_user, community, people, units):
    entrance_id = units[8].entrance_id  # building 2, entrance 1: not the owner's
    vote = helpers.open_vote(
        db.session,
        community,
        actor=people["committee"],
        scope_kind="entrance",
        scope_ids=[entrance_id],
    )
    client = as_user(people["owner"])
    html = text(client.get(f"/c/T01/votes/{vote.id}"))
    assert "Your home is not in this vote's scope" in html and 'name="choice"' not in html
    resp = client.post(f"/c/T01/votes/{vote.id}/cast", {"choice": "agree"})
    assert resp.status_code == 302
    assert "not in this vote's scope" in " ".join(
        flashes(text(client.get(resp.headers["Location"])))
    )


def test_public_turnout_is_shown_to_residents(db, as_user, community, people):
    vote = helpers.open_vote(db.session, community, actor=people["committee"], turnout_public=True)
    services.cast_ballot(people["owner"], vote, "agree")
    db.session.commit()
    html = text(as_user(people["tenant"]).get(f"/c/T01/votes/{vote.id}"))
    assert "Participation so far" in html and "1 of 15" in html and "6.67%" in html
    assert "Agree" not in html.split("Participation so far")[1].split("</section>")[0]


# --- casting: two steps ---------------------------------------------------------------------


def test_casting_without_javascript_confirms_on_a_page_then_redirects(as_user, people, vote, units):
    client = as_user(people["owner"])
    resp = client.post(f"/c/T01/votes/{vote.id}/confirm", {"choice": "agree", "owner": ""})
    assert resp.status_code == 200
    html = text(resp)
    assert "<html" in html and "Confirm your vote" in html
    assert "161.00 m²" in html and "1-1-101" in html
    assert f'action="/c/T01/votes/{vote.id}/cast"' in html
    assert ballots(vote) == 0  # choosing is not voting
    owner_id = units[0].owner_id
    resp = client.post(f"/c/T01/votes/{vote.id}/cast", {"choice": "agree", "owner": owner_id})
    assert resp.status_code == 302
    assert resp.headers["Location"].endswith(f"/c/T01/votes/{vote.id}?cast={owner_id}#b{owner_id}")
    ballot = ballot_of(vote, units[0])
    assert (ballot.choice, ballot.channel) == ("agree", "online")
    html = text(client.get(resp.headers["Location"]))
    assert ballot.receipt_display in " ".join(flashes(html))
    assert f'<p class="receipt-code">{ballot.receipt_display}</p>' in html
    assert "Keep it: with it you can check that your vote was counted." in html
    # The confirmation names only the user's own ballots: another owner, or nonsense, says
    # nothing (and never a 500).
    for other in (units[5].owner_id, "x", "99999999999999999999", ""):
        html = text(client.get(f"/c/T01/votes/{vote.id}?cast={other}"))
        assert not any("Your vote is recorded" in f for f in flashes(html)), other


def test_casting_with_htmx_swaps_fragments_in_place(as_user, people, vote, units):
    client = as_user(people["owner"])
    owner_id = units[0].owner_id
    resp = client.post(
        f"/c/T01/votes/{vote.id}/confirm", {"choice": "disagree", "owner": owner_id}, headers=HX
    )
    assert resp.status_code == 200
    assert "HX-Request" in resp.headers["Vary"]
    html = text(resp)
    assert "<html" not in html and html.strip().startswith(
        '<section class="card ballot ballot-confirm"'
    )
    assert f'id="b{owner_id}"' in html and f'hx-target="#b{owner_id}"' in html
    assert "Disagree" in html and "Confirm: Disagree" in html
    resp = client.post(
        f"/c/T01/votes/{vote.id}/cast", {"choice": "disagree", "owner": owner_id}, headers=HX
    )
    assert resp.status_code == 200 and "HX-Request" in resp.headers["Vary"]
    html = text(resp)
    assert "<html" not in html and f'id="b{owner_id}"' in html
    ballot = ballot_of(vote, units[0])
    assert ballot.choice == "disagree"
    assert f'<p class="receipt-code">{ballot.receipt_display}</p>' in html
    assert "Your vote is recorded:" in html
    # "Back" from the confirmation step: the card again, by htmx; a plain link without it.
    resp = client.get(f"/c/T01/votes/{vote.id}/ballot/{owner_id}", headers=HX)
    assert resp.status_code == 200 and "<html" not in text(resp) and 'name="choice"' in text(resp)
    resp = client.get(f"/c/T01/votes/{vote.id}/ballot/{owner_id}")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"#b{owner_id}")


def test_changing_the_ballot_keeps_the_receipt_and_counts_the_changes(as_user, people, vote, units):
    client = as_user(people["owner"])
    owner_id = units[0].owner_id
    client.post(f"/c/T01/votes/{vote.id}/cast", {"choice": "agree", "owner": owner_id})
    receipt = ballot_of(vote, units[0]).receipt_display
    client.post(f"/c/T01/votes/{vote.id}/cast", {"choice": "abstain", "owner": owner_id})
    client.post(f"/c/T01/votes/{vote.id}/cast", {"choice": "disagree", "owner": owner_id})
    ballot = ballot_of(vote, units[0])
    assert ballot.receipt_display == receipt and ballot.choice == "disagree"
    html = text(client.get(f"/c/T01/votes/{vote.id}"))
    assert "You changed your vote 2 times." in html
    assert re.search(r'value="disagree" aria-current="true"', html)
    assert "History of this ballot" in html
    assert ballots(vote) == 1


@pytest.mark.parametrize("hx", [False, True])
def test_refusals_are_messages_never_errors(db, as_user, people, vote, units, hx):
    headers = HX if hx else {}

    def refused(client, data, message, url="cast"):
        resp = client.post(f"/c/T01/votes/{vote.id}/{url}", data, headers=headers)
        if hx:
            assert resp.status_code == 200, text(resp)[:300]
            assert message in text(resp) and "<html" not in text(resp)
        else:
            assert resp.status_code == 302
            assert message in " ".join(flashes(text(client.get(resp.headers["Location"]))))

    family = as_user(people["family"])
    refused(family, {"choice": "agree"}, "Only owners vote")
    refused(family, {"choice": "agree"}, "Only owners vote", url="confirm")
    owner = as_user(people["owner"])
    refused(owner, {"choice": "maybe"}, "Please choose agree, disagree or abstain.")
    refused(owner, {"choice": "maybe"}, "Please choose agree, disagree or abstain.", "confirm")
    refused(
        owner, {"choice": "agree", "owner": units[2].owner_id}, "You may not vote for this owner."
    )
    close(vote, people["committee"])
    refused(owner, {"choice": "agree"}, "This vote has closed.")
    refused(owner, {"choice": "agree"}, "This vote has closed.", url="confirm")
    assert ballots(vote) == 0


def test_a_cast_needs_the_csrf_token(as_user, people, vote):
    resp = as_user(people["owner"]).post(
        f"/c/T01/votes/{vote.id}/cast", {"choice": "agree"}, csrf=False
    )
    assert resp.status_code == 400 and ballots(vote) == 0


def test_a_proxy_votes_for_the_owner(db, as_user, people, vote, units):
    family = people["family"]  # a family member of 1-2-101, the proxy of 1-1-201's owner
    services.record_proxy(people["committee"], vote, units[2].owner_id, family, "委托书已核")
    db.session.commit()
    client = as_user(family)
    html = text(client.get(f"/c/T01/votes/{vote.id}"))
    assert "As proxy for the owner of" in html and "1-1-201" in html
    assert "Only owners vote" not in html
    client.post(f"/c/T01/votes/{vote.id}/confirm", {"choice": "agree", "owner": units[2].owner_id})
    resp = client.post(
        f"/c/T01/votes/{vote.id}/cast", {"choice": "agree", "owner": units[2].owner_id}
    )
    assert resp.status_code == 302
    ballot = ballot_of(vote, units[2])
    assert (ballot.channel, ballot.cast_by_user_id) == ("proxy", family.id)
    # The owner sees that their proxy cast it.
    html = text(as_user(people["owner2"]).get(f"/c/T01/votes/{vote.id}"))
    assert "Your proxy cast it for you." in html and ballot.receipt_display in html


def test_a_vote_past_its_closing_time_closes_when_viewed(db, as_user, people, vote):
    services.cast_ballot(people["owner"], vote, "agree")
    db.session.execute(
        update(Vote)
        .where(Vote.id == vote.id)
        .values(opens_at=utcnow() - timedelta(days=6), closes_at=utcnow() - timedelta(minutes=1))
    )
    db.session.commit()
    html = text(as_user(people["tenant"]).get(f"/c/T01/votes/{vote.id}"))
    db.session.expire_all()
    assert db.session.get(Vote, vote.id).status == "closed"
    assert "NOT PASSED" in html and 'name="choice"' not in html


# --- after closing ------------------------------------------------------------------------------


@pytest.fixture()
def decided(db, community, people, units):
    """A special-rule vote of entrance 1-1 (3 owners, 4 homes, 322.00 m²): the owner of two
    homes agrees, 1-1-201 agrees, 1-1-202 disagrees; closed early by the committee."""
    vote = helpers.open_vote(
        db.session,
        community,
        actor=people["committee"],
        rule="special",
        scope_kind="entrance",
        scope_ids=[units[0].entrance_id],
    )
    services.cast_ballot(people["owner"], vote, "agree")
    services.cast_ballot(people["owner2"], vote, "agree")
    services.enter_paper_ballot(people["committee"], vote, "disagree", "P-9", unit_id=units[3].id)
    db.session.commit()
    close(vote, people["committee"], reason="全部业主已表决")
    return vote


def test_a_sealed_result_is_counted_once_per_language(as_user, people, decided):
    """A closed vote's result never changes: later views reuse it, without counting the
    ballots again, and each language gets its own."""
    client = as_user(people["tenant"])
    first = text(client.get(f"/c/T01/votes/{decided.id}"))
    with count_queries() as statements:
        again = text(client.get(f"/c/T01/votes/{decided.id}"))
    assert again[again.index('id="result"') :] == first[first.index('id="result"') :]
    assert not [s for s in statements if "FROM ballot" in s and "count(" in s], statements
    client.post("/prefs", {"lang": "zh_Hans", "next": "/"})
    chinese = text(client.get(f"/c/T01/votes/{decided.id}"))
    assert "未通过" in chinese[chinese.index('id="result"') :]


def test_results_in_numbers_percentages_and_words(as_user, people, decided):
    html = text(as_user(people["tenant"]).get(f"/c/T01/votes/{decided.id}"))
    result = html[html.index('id="result"') :]
    assert "NOT PASSED" in result and "Not enough owners agreed." in result
    assert "3 of 3" in result and "322.00 of 322.00 m²" in result and "100.00%" in result
    # Agree: 2 owners (66.67%), 241.50 m² (75.00%); disagree: 1 owner, 80.50 m².
    assert re.search(
        r"cw-agree.*?>2<span class=\"pct\">66\.67%.*?241\.50<span class=\"pct\">75\.00%",
        result,
        re.S,
    )
    assert re.search(
        r"cw-disagree.*?>1<span class=\"pct\">33\.33%.*?80\.50<span class=\"pct\">25\.00%",
        result,
        re.S,
    )
    # The special rule checked: area 3/4 holds (exactly 75%), heads 3/4 fails (66.67%).
    assert "Agreed, by area" in result and "Agreed, by number of owners" in result
    assert "at least 3/4 (75.00%) of the area that took part" in result
    assert "75.00%: 241.50 of 322.00 m²" in result and "66.67%: 2 of 3 owners" in result
    # Three thresholds and the quorum line hold; one threshold fails.
    assert result.count("✗</span> Not met") == 1 and result.count("✓</span> Met") == 4
    assert "Enough owners took part (quorum):" in result
    assert "Ballots: 2 online, 1 on paper, 0 by proxy." in result
    assert "Closed early by the committee. Reason: 全部业主已表决" in html


def test_an_owner_finds_their_receipt(as_user, people, decided, units):
    client = as_user(people["owner"])
    html = text(client.get(f"/c/T01/votes/{decided.id}"))
    receipt = ballot_of(decided, units[0]).receipt_display
    assert "Your vote was counted as:" in html and receipt in html
    html = text(client.get(f"/c/T01/votes/{decided.id}/receipts?receipt={receipt.lower()}"))
    assert "was counted as:" in html and "cw-agree" in html.split("was counted as:")[1][:200]
    html = text(client.get(f"/c/T01/votes/{decided.id}/receipts?receipt=ZZZZ-ZZZZ"))
    assert "No ballot has the code ZZZZ-ZZZZ." in html


def test_the_published_list_has_codes_and_answers_but_no_names_or_homes(as_user, people, decided):
    html = text(as_user(people["tenant"]).get(f"/c/T01/votes/{decided.id}/receipts"))
    table = html[html.index('<table class="receipts">') : html.index("</table>")]
    assert table.count("<tr>") == 4  # header + 3 ballots
    for ballot in services.public_result(decided).receipts:
        assert ballot[0][:4] in table
    assert "1-1-" not in table and "业主" not in table and people["owner"].phone not in html
    assert decided.final_hash in html
    assert "Checked just now: the log and this list still give this hash." in html
    assert f'href="/api/v1/votes/{decided.id}/receipts"' in html


def test_the_receipts_list_pages_and_makes_no_query_per_row(
    db, as_user, community, people, monkeypatch
):
    def closed_vote_with(n: int):
        vote = helpers.open_vote(db.session, community, actor=people["committee"])
        homes = helpers.units_of(db.session, community)
        owners = []
        for unit in homes:
            if unit.owner_id not in owners:
                owners.append(unit.owner_id)
        for i, owner_id in enumerate(owners[:n]):
            services.enter_paper_ballot(
                people["committee"], vote, "agree", f"R{i}", owner_id=owner_id
            )
        db.session.commit()
        close(vote, people["committee"])
        return vote

    monkeypatch.setattr(vote_views, "RECEIPTS_PER_PAGE", 5)
    client = as_user(people["owner"])
    small, big = closed_vote_with(2), closed_vote_with(12)
    counts = []
    for closed in (small, big):
        client.get(f"/c/T01/votes/{closed.id}/receipts")  # warm up
        with count_queries() as statements:
            resp = client.get(f"/c/T01/votes/{closed.id}/receipts?page=2")
        assert resp.status_code == 200
        counts.append(len(selects(statements)))
    assert counts[0] == counts[1], counts
    html = text(client.get(f"/c/T01/votes/{big.id}/receipts?page=2"))
    assert "Page 2 of 3" in html and html.count('<td class="code">') == 5


def test_the_result_notice_has_the_numbers_the_period_and_a_qr_code(as_user, people, decided):
    client = as_user(people["owner"])
    resp = client.get(f"/c/T01/votes/{decided.id}/notice")
    html = text(resp)
    assert "Result notice" in html and "是否同意加装电梯" in html
    assert "NOT PASSED" in html and "241.50" in html and "Entrance 1-1" in html
    assert "全部业主已表决" in html and decided.final_hash in html
    notice = services.result_notice(decided)
    assert "Posted from" in html and "until" in html
    assert notice.posted_until - notice.posted_from == timedelta(days=7)
    url = f"http://localhost/c/T01/votes/{decided.id}"
    assert url in html and str(qr_svg(url)) in html and '<svg aria-hidden="true"' in html
    assert "data-print hidden" in html


def test_the_public_base_url_goes_into_the_qr_code(app, as_user, people, decided, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://gj.example.cn/")
    html = text(as_user(people["owner"]).get(f"/c/T01/votes/{decided.id}/notice"))
    assert str(qr_svg(f"https://gj.example.cn/c/T01/votes/{decided.id}")) in html


def test_receipts_and_notice_wait_for_the_close(as_user, people, vote):
    client = as_user(people["owner"])
    for page, message in (
        ("receipts", "The receipts are published when the vote closes."),
        ("notice", "The result is posted when the vote closes."),
    ):
        resp = client.get(f"/c/T01/votes/{vote.id}/{page}")
        assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/votes/{vote.id}")
        assert message in " ".join(flashes(text(client.get(resp.headers["Location"]))))


# --- time in words ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "delta,words",
    [
        (timedelta(days=6, hours=23), "6 days"),
        (timedelta(days=2), "2 days"),
        (timedelta(days=1, hours=23), "47 hours"),
        (timedelta(hours=1, minutes=5), "1 hour"),
        (timedelta(minutes=59), "59 minutes"),
        (timedelta(seconds=20), "1 minute"),
        (timedelta(seconds=-5), ""),
    ],
)
def test_time_left_is_rounded_down(app, delta, words):
    now = utcnow()
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        assert vote_views.time_left(now + delta, now) == words


def test_pages_have_no_inline_styles_or_scripts(db, as_user, people, decided, vote):
    client = as_user(people["committee"])
    urls = [
        "/c/T01/votes",
        f"/c/T01/votes/{vote.id}",
        f"/c/T01/votes/{decided.id}",
        f"/c/T01/votes/{decided.id}/receipts",
        f"/c/T01/votes/{decided.id}/notice",
        "/c/T01/votes/new",
        f"/c/T01/votes/{vote.id}/paper",
        f"/c/T01/votes/{vote.id}/import",
        f"/c/T01/votes/{vote.id}/proxies",
        f"/c/T01/votes/{vote.id}/close",
    ]
    for url in urls:
        html = text(client.get(url))
        assert not re.search(r"<[^>]+\sstyle=", html), url
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), url
        assert not re.search(r"\son[a-z]+=", html), url


def test_the_list_makes_no_query_per_vote(db, as_user, community, people):
    committee = people["committee"]
    client = as_user(committee)

    def measure() -> int:
        client.get("/c/T01/votes")  # warm up
        with count_queries() as statements:
            assert client.get("/c/T01/votes").status_code == 200
        return len(selects(statements))

    def add_votes() -> None:
        helpers.draft_vote(db.session, community, actor=committee)
        helpers.open_vote(db.session, community, actor=committee)
        closed = helpers.open_vote(db.session, community, actor=committee)
        close(closed, committee)

    add_votes()
    few = measure()
    add_votes()
    add_votes()
    assert measure() == few


def test_after_an_htmx_cast_the_public_turnout_comes_back_out_of_band(
    db, as_user, community, people, units
):
    vote = helpers.open_vote(db.session, community, actor=people["committee"], turnout_public=True)
    resp = as_user(people["owner"]).post(
        f"/c/T01/votes/{vote.id}/cast", {"choice": "agree", "owner": units[0].owner_id}, headers=HX
    )
    html = text(resp)
    assert (
        '<section class="card" id="turnout" aria-labelledby="turnout-h" data-hx-swap-oob="true">'
        in html
    )
    assert "1 of 15" in html


def test_a_planned_vote_opens_by_itself_when_the_list_is_viewed(db, as_user, community, people):
    draft = helpers.draft_vote(
        db.session, community, actor=people["committee"], auto_open=True, title="自动开始"
    )
    html = text(as_user(people["tenant"]).get("/c/T01/votes"))
    db.session.expire_all()
    assert db.session.get(Vote, draft.id).status == "open"
    assert "自动开始" in html and "Open for voting" in html
