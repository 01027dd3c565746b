"""The committee's invite pages: issuing codes, the list, printing slips and revoking."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from participation.core.models import AuditEntry, Invite, User
from participation.core.services import accounts
from participation.core.views.invites import qr_svg
from participation.extensions import db
from tests import factories

from .helpers import count, count_queries, issue, selects_from, signup_form, text, units_of

BASE = "/c/T01/invites"


def _issue_all(community, actor=None) -> list[Invite]:
    invites = accounts.create_invites(actor, community)
    db.session.commit()
    return invites


def _slips(html: str) -> list[str]:
    return re.findall(r'<article class="slip"[^>]*>.*?</article>', html, re.S)


# --- permissions ------------------------------------------------------------------------------

PAGES = [
    ("get", "/"),
    ("get", "/print?building=1"),
    ("post", "/issue"),
    ("post", "/unit/{unit}"),
    ("post", "/{invite}/revoke"),
]


def _actor(role, community):
    if role == "anonymous":
        return None
    if role in ("owner", "family"):
        return factories.resident(db.session, community, relation=role)
    if role == "other-committee":
        other = factories.community(db.session, code="T02", buildings=1, entrances=1)
        return factories.staff(db.session, "committee", other)
    return factories.staff(db.session, role, community)


@pytest.mark.parametrize("method,path", PAGES)
@pytest.mark.parametrize(
    "role,expected",
    [
        ("anonymous", 302),
        ("owner", 403),
        ("family", 403),
        ("property", 403),
        ("city", 403),
        ("other-committee", 403),
        ("committee", None),
    ],
)
def test_permission_matrix(client, community, method, path, role, expected):
    invite = _issue_all(community)[0]
    actor = _actor(role, community)
    if actor is not None:
        client.login(actor)
    url = BASE + path.format(unit=invite.unit_id, invite=invite.id)
    before = (
        count(Invite),
        db.session.scalar(select(Invite.revoked_at).where(Invite.id == invite.id)),
    )
    resp = client.get(url) if method == "get" else client.post(url)
    if expected == 302:
        assert resp.status_code == 302
        assert resp.headers["Location"].startswith("/login")
    elif expected == 403:
        assert resp.status_code == 403
    else:  # the committee: pages open, actions redirect back to the list
        assert resp.status_code == (200 if method == "get" else 302)
    if role != "committee":
        db.session.expire_all()
        after = count(Invite), db.session.get(Invite, invite.id).revoked_at
        assert after == before, "a refused request changes nothing"


@pytest.mark.parametrize("path", ["/issue", "/unit/{unit}", "/{invite}/revoke"])
def test_actions_need_the_csrf_token(client, community, committee, path):
    invite = _issue_all(community)[0]
    client.login(committee)
    resp = client.post(BASE + path.format(unit=invite.unit_id, invite=invite.id), csrf=False)
    assert resp.status_code == 400
    db.session.expire_all()
    assert count(Invite) == len(units_of(community))
    assert db.session.get(Invite, invite.id).usable


def test_actions_are_post_only(client, community, committee):
    invite = _issue_all(community)[0]
    client.login(committee)
    assert client.get(f"{BASE}/issue").status_code == 405
    assert client.get(f"{BASE}/{invite.id}/revoke").status_code == 405


# --- issuing ----------------------------------------------------------------------------------


def test_issue_codes_for_every_unit_then_nothing_more(client, community, committee):
    client.login(committee)
    page = text(client.get(f"{BASE}/"))
    assert "16 units have no usable code yet." in page
    assert f'action="{BASE}/issue"' in page

    resp = client.post(f"{BASE}/issue", follow_redirects=True)
    assert "Issued 16 new codes." in text(resp)
    assert count(Invite) == 16
    assert {i.unit_id for i in db.session.scalars(select(Invite))} == {
        u.id for u in units_of(community)
    }
    assert f'action="{BASE}/issue"' not in text(resp)
    assert "Every unit has a usable code." in text(resp)

    resp = client.post(f"{BASE}/issue", follow_redirects=True)
    assert "Every unit already has a usable code; nothing was changed." in text(resp)
    assert count(Invite) == 16
    (entry,) = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "invite.create"))
    assert (entry.actor_id, entry.detail["count"]) == (committee.id, 16)


def test_index_counts(client, community, committee):
    invites = _issue_all(community)
    accounts.revoke_invite(committee, invites[0])
    accounts.sign_up(factories.next_phone(), "long-enough-1", invites[1].code, "family")
    accounts.sign_up(factories.next_phone(), "long-enough-1", invites[2].code, "tenant")
    db.session.commit()
    client.login(committee)
    html = text(client.get(f"{BASE}/"))
    stats = dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", html))
    assert stats == {
        "Units": "16",
        "Units with a usable code": "13",
        "Codes used": "2",
        "Codes revoked": "1",
    }
    assert "8 units, 5 with a usable code" in html  # building 1 holds the three
    assert "8 units, 8 with a usable code" in html
    assert f'href="{BASE}/print?building=1"' in html
    assert f'href="{BASE}/print?building=2"' in html


def test_issue_another_code_for_one_unit(client, community, committee):
    invites = _issue_all(community)
    unit_id = invites[5].unit_id
    client.login(committee)
    resp = client.post(f"{BASE}/unit/{unit_id}")
    assert resp.status_code == 302
    new = db.session.scalar(
        select(Invite).where(Invite.unit_id == unit_id, Invite.id != invites[5].id)
    )
    assert new is not None and new.usable and new.created_by_id == committee.id
    assert new.code in resp.headers["Location"]
    page = text(client.get(resp.headers["Location"]))
    assert f"New code {accounts.format_code(new.code)}" in page
    assert f'href="{BASE}/print?invite={new.id}"' in page
    db.session.expire_all()
    assert db.session.get(Invite, invites[5].id).usable, "the first code still works"
    assert count(Invite) == 17


def test_issue_for_a_unit_of_another_community_is_refused(client, community, committee):
    other = factories.community(db.session, code="T02", buildings=1, entrances=1)
    foreign = units_of(other)[0]
    client.login(committee)
    resp = client.post(f"{BASE}/unit/{foreign.id}")
    assert resp.status_code == 404  # another community's home is not found here
    assert count(Invite) == 0


# --- the list ---------------------------------------------------------------------------------


def _rows(html: str) -> list[str]:
    return re.findall(r'<li class="item invite-row">.*?</li>', html, re.S)


def test_list_filters_by_building_status_and_search(client, community, committee):
    invites = _issue_all(community)
    accounts.revoke_invite(committee, invites[0])
    db.session.commit()
    client.login(committee)
    assert len(_rows(text(client.get(f"{BASE}/")))) == 16
    assert len(_rows(text(client.get(f"{BASE}/?building=2")))) == 8
    revoked = _rows(text(client.get(f"{BASE}/?status=revoked")))
    assert len(revoked) == 1 and accounts.format_code(invites[0].code) in revoked[0]
    assert '/revoke"' not in revoked[0]
    assert len(_rows(text(client.get(f"{BASE}/?status=usable")))) == 15
    assert _rows(text(client.get(f"{BASE}/?status=used"))) == []

    unit = units_of(community)[9]
    (row,) = _rows(text(client.get(f"{BASE}/?q={unit.label()}")))
    assert f"<strong>{unit.label()}</strong>" in row
    code = next(i.code for i in invites if i.unit_id == unit.id)
    (row,) = _rows(text(client.get(f"{BASE}/?q={accounts.format_code(code).lower()}")))
    assert f"<strong>{unit.label()}</strong>" in row
    # Room 101 exists once per entrance: 2 buildings × 2 entrances.
    assert len(_rows(text(client.get(f"{BASE}/?q=101&building=1")))) == 2
    assert _rows(text(client.get(f"{BASE}/?q=9-9-999"))) == []


def _get_counting(client, url: str) -> tuple[str, list[str]]:
    # The test shares the app's session; start each request, like a real one, from nothing.
    db.session.expire_all()
    with count_queries() as statements:
        html = text(client.get(url))
    return html, statements


def test_list_page_does_not_query_per_row(client, community, committee):
    _issue_all(community)
    client.login(committee)
    html, few = _get_counting(client, f"{BASE}/")
    assert len(_rows(html)) == 16
    accounts.create_invites(
        committee, community, [u.id for u in units_of(community)], only_missing=False
    )
    db.session.commit()
    html, many = _get_counting(client, f"{BASE}/")
    assert len(_rows(html)) == 32
    assert len(many) == len(few)
    assert len(selects_from(many, "unit")) <= 2  # the counts and the joined list


# --- printing ---------------------------------------------------------------------------------


def test_print_page_has_one_slip_and_qr_code_per_unit_of_the_building(client, community, committee):
    invites = _issue_all(community)
    client.login(committee)
    resp = client.get(f"{BASE}/print?building=1")
    assert resp.status_code == 200
    html = text(resp)
    building_units = units_of(community, "1")
    assert len(building_units) == 8
    slips = _slips(html)
    assert len(slips) == 8
    assert html.count("<svg") == 8
    assert html.count('<section class="sheet"') == 1
    assert re.search(r"css/slips\.[0-9a-f]{10}\.css", html)  # fingerprinted
    assert re.search(r"<button[^>]*data-print[^>]*hidden", html)
    by_unit = {i.unit_id: i for i in invites}
    for unit, slip in zip(building_units, slips, strict=True):
        code = by_unit[unit.id].code
        url = f"http://localhost/signup?code={code}"
        assert f'data-url="{url}"' in slip
        assert str(qr_svg(url)) in slip, "the QR code encodes the sign-up link with the code"
        assert unit.label() in slip
        assert accounts.format_code(code) in slip
        assert community.name_en in slip  # the English page shows the English name
    # No inline styles or scripts: the CSP forbids them.
    assert "style=" not in html
    assert "<script>" not in html and "onclick" not in html


def test_print_uses_the_public_base_url_when_set(client, community, committee, app, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://gj.example.cn/")
    invite = _issue_all(community)[0]
    client.login(committee)
    html = text(client.get(f"{BASE}/print?building=1"))
    assert f'data-url="https://gj.example.cn/signup?code={invite.code}"' in html
    assert "or open gj.example.cn/signup</li>" in html  # the address residents can type
    assert "localhost" not in html.split('<div class="sheets">')[1]


def test_print_breaks_pages_every_eight_slips(client, db, committee):
    big = factories.community(db.session, code="T03", buildings=1, entrances=3, per_entrance=6)
    staff = factories.staff(db.session, "committee", big)
    _issue_all(big)
    client.login(staff)
    html = text(client.get("/c/T03/invites/print?building=1"))
    sheets = re.findall(r'<section class="sheet".*?</section>', html, re.S)
    assert [len(_slips(s)) for s in sheets] == [8, 8, 2]


def test_print_leaves_out_used_and_revoked_codes_and_says_so(client, community, committee):
    invites = _issue_all(community)
    in_building_1 = [i for i in invites if i.unit.entrance.building.name == "1"]
    accounts.revoke_invite(committee, in_building_1[0])
    accounts.sign_up(factories.next_phone(), "long-enough-1", in_building_1[1].code, "family")
    db.session.commit()
    client.login(committee)
    html = text(client.get(f"{BASE}/print?building=1"))
    assert len(_slips(html)) == 6
    assert accounts.format_code(in_building_1[0].code) not in html
    assert accounts.format_code(in_building_1[1].code) not in html
    assert "2 units of this building have no usable code" in html


def test_print_one_slip_per_unit_unless_every_code_is_asked(client, community, committee):
    invites = _issue_all(community)
    unit = units_of(community, "1")[0]
    extra = issue(community, unit)
    client.login(committee)
    html = text(client.get(f"{BASE}/print?building=1"))
    assert len(_slips(html)) == 8
    assert accounts.format_code(extra) in html, "the newest code of the unit"
    first = next(i.code for i in invites if i.unit_id == unit.id)
    assert accounts.format_code(first) not in html

    html = text(client.get(f"{BASE}/print?building=1&status=usable"))
    assert len(_slips(html)) == 9
    assert accounts.format_code(first) in html and accounts.format_code(extra) in html

    new = db.session.scalar(select(Invite).where(Invite.code == extra))
    html = text(client.get(f"{BASE}/print?invite={new.id}"))
    assert len(_slips(html)) == 1 and accounts.format_code(extra) in html


def test_print_of_a_big_building_reads_the_invites_in_one_query(client, db, committee):
    big = factories.community(db.session, code="T04", buildings=1, entrances=2, per_entrance=30)
    staff = factories.staff(db.session, "committee", big)
    _issue_all(big)
    client.login(staff)
    html, statements = _get_counting(client, "/c/T04/invites/print?building=1")
    assert len(_slips(html)) == 60
    (invite_query,) = selects_from(statements, "invite")
    assert re.search(r"JOIN\s+unit\b", invite_query, re.I)
    assert re.search(r"JOIN\s+building\b", invite_query, re.I)
    assert len(selects_from(statements, "unit")) <= 2  # the slips, and the units without one


def test_print_without_a_building_goes_back_to_the_list(client, community, committee):
    client.login(committee)
    resp = client.get(f"{BASE}/print")
    assert resp.status_code == 302 and resp.headers["Location"] == f"{BASE}/"


# --- revoking ---------------------------------------------------------------------------------


def test_revoke_a_code_then_signing_up_with_it_is_refused(
    client, other_client, community, committee
):
    invite = _issue_all(community)[3]
    client.login(committee)
    resp = client.post(f"{BASE}/{invite.id}/revoke", follow_redirects=True)
    assert (
        f"The code {accounts.format_code(invite.code)} for {invite.unit.label()} no longer works."
        in text(resp)
    )
    db.session.expire_all()
    assert db.session.get(Invite, invite.id).revoked_at is not None
    assert db.session.scalar(
        select(AuditEntry.target_id).where(AuditEntry.action == "invite.revoke")
    ) == str(invite.id)

    before = count(User)
    resp = other_client.post("/signup", signup_form(invite.code))
    assert resp.status_code == 400
    assert "This invite code is not valid or was already used." in text(resp)
    assert count(User) == before


def test_revoking_a_used_code_is_refused(client, community, committee):
    invite = _issue_all(community)[3]
    accounts.sign_up(factories.next_phone(), "long-enough-1", invite.code, "family")
    db.session.commit()
    client.login(committee)
    resp = client.post(f"{BASE}/{invite.id}/revoke", follow_redirects=True)
    assert "This code was already used; remove the account link instead." in text(resp)
    db.session.expire_all()
    assert db.session.get(Invite, invite.id).revoked_at is None


def test_revoke_keeps_the_list_filters(client, community, committee):
    invite = _issue_all(community)[3]
    client.login(committee)
    resp = client.post(f"{BASE}/{invite.id}/revoke?building=1&status=usable&q=x&evil=1")
    assert resp.status_code == 302
    assert resp.headers["Location"] == f"{BASE}/?building=1&status=usable&q=x"


def test_revoke_a_code_of_another_community_is_not_found(client, db, community, committee):
    other = factories.community(db.session, code="T02", buildings=1, entrances=1)
    foreign = _issue_all(other)[0]
    client.login(committee)
    assert client.post(f"{BASE}/{foreign.id}/revoke").status_code == 404
    db.session.expire_all()
    assert db.session.get(Invite, foreign.id).usable
