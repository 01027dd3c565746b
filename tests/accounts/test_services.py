"""Account use cases: invite codes, sign-up, claims and passwords (services, no HTTP)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from participation.core.errors import DomainError
from participation.core.models import (
    AuditEntry,
    Invite,
    Message,
    Relation,
    Residency,
    ResidencyStatus,
    User,
)
from participation.core.services import accounts
from participation.core.timeutil import utcnow
from participation.extensions import db
from tests import factories

from .helpers import count, invite_by_code, issue, units_of


@pytest.fixture(autouse=True)
def _request(app, db):
    # Services build links and translate messages, as they do inside a request.
    with app.test_request_context():
        yield


def _nothing_written(before: tuple[int, int]) -> bool:
    return (count(User), count(Residency)) == before


# --- codes ------------------------------------------------------------------------------------


def test_create_invites_is_idempotent_with_only_missing(community, committee):
    total = len(units_of(community))
    first = accounts.create_invites(committee, community)
    db.session.commit()
    assert len(first) == total
    assert {i.unit_id for i in first} == {u.id for u in units_of(community)}

    again = accounts.create_invites(committee, community)
    db.session.commit()
    assert again == []
    assert count(Invite) == total

    # A revoked code no longer counts: only that unit gets a new one.
    accounts.revoke_invite(committee, first[0])
    db.session.commit()
    refill = accounts.create_invites(committee, community)
    db.session.commit()
    assert [i.unit_id for i in refill] == [first[0].unit_id]

    # Without only_missing the unit gets another code beside its usable one.
    extra = accounts.create_invites(committee, community, [first[1].unit_id], only_missing=False)
    db.session.commit()
    assert len(extra) == 1 and extra[0].code != first[1].code
    assert count(Invite) == total + 2
    assert db.session.scalar(select(AuditEntry.id).where(AuditEntry.action == "invite.create")), (
        "issuing codes is audited"
    )


def test_codes_are_unique_and_use_the_unambiguous_alphabet(community):
    invites = accounts.create_invites(None, community)
    codes = [i.code for i in invites]
    assert len(set(codes)) == len(codes) == len(units_of(community))
    for code in codes:
        assert len(code) == accounts.CODE_LENGTH == 8
        assert set(code) <= set(accounts.CODE_ALPHABET)
    assert not set("01OIL") & set(accounts.CODE_ALPHABET)


def test_a_code_that_exists_is_drawn_again(community, monkeypatch):
    unit_a, unit_b, unit_c = units_of(community)[:3]
    draws = iter(["AAAAAAAA", "AAAAAAAA", "BBBBBBBB", "AAAAAAAA", "BBBBBBBB", "CCCCCCCC"])
    monkeypatch.setattr(accounts, "new_code", lambda: next(draws))
    first = accounts.create_invites(None, community, [unit_a.id])
    db.session.commit()
    second = accounts.create_invites(None, community, [unit_b.id, unit_c.id])
    db.session.commit()
    assert [i.code for i in first] == ["AAAAAAAA"]
    assert [i.code for i in second] == ["BBBBBBBB", "CCCCCCCC"]


@pytest.mark.parametrize(
    "raw", ["abcd-efgh", "ABCD EFGH", " abcd efgh ", "AbCd-EfGh\n", "abcdefgh"]
)
def test_normalise_code_accepts_dashes_spaces_and_lower_case(raw):
    assert accounts.normalise_code(raw) == "ABCDEFGH"


def test_format_code_splits_in_two_groups():
    assert accounts.format_code("ABCDEFGH") == "ABCD-EFGH"


def test_sign_up_accepts_a_code_typed_in_lower_case_with_a_dash(community):
    code = issue(community, units_of(community)[3])
    typed = accounts.format_code(code).lower().replace("-", " - ")
    user = accounts.sign_up(factories.next_phone(), "long-enough-1", typed, "family")
    db.session.commit()
    assert [link.unit_id for link in user.residencies] == [units_of(community)[3].id]


# --- sign-up ----------------------------------------------------------------------------------


def test_owner_with_the_registered_phone_is_active_at_once(community, committee):
    unit = units_of(community)[2]
    code = issue(community, unit)
    # Written the way people type it: country code and spaces.
    phone = unit.owner.phone
    user = accounts.sign_up(
        f"+86 {phone[:3]} {phone[3:7]} {phone[7:]}", "long-enough-1", code, "owner"
    )
    db.session.commit()
    (link,) = user.residencies
    assert user.phone == phone
    assert (link.relation, link.status) == (Relation.OWNER, ResidencyStatus.ACTIVE)
    assert user.privacy_accepted_at is not None
    assert invite_by_code(code).used_by_id == user.id
    assert count(Message) == 0


def test_owner_with_another_phone_waits_and_the_committee_is_told(community, committee):
    unit = units_of(community)[2]
    code = issue(community, unit)
    user = accounts.sign_up(factories.next_phone(), "long-enough-1", code, "owner")
    db.session.commit()
    (link,) = user.residencies
    assert (link.relation, link.status) == (Relation.OWNER, ResidencyStatus.PENDING)
    messages = db.session.scalars(select(Message).where(Message.user_id == committee.id)).all()
    assert len(messages) == 1
    assert messages[0].params == {"unit": unit.label()}
    assert "status=pending" in messages[0].link
    assert (
        db.session.scalar(select(func.count(Message.id)).where(Message.user_id == user.id)) == 0
    ), "the resident is not messaged about their own claim"


@pytest.mark.parametrize("relation", ["family", "tenant"])
def test_family_and_tenants_are_active_at_once(community, committee, relation):
    code = issue(community, units_of(community)[2])
    user = accounts.sign_up(factories.next_phone(), "long-enough-1", code, relation)
    db.session.commit()
    (link,) = user.residencies
    assert (link.relation, link.status) == (relation, ResidencyStatus.ACTIVE)
    assert count(Message) == 0


def test_a_used_code_is_refused_and_nothing_is_written(community):
    code = issue(community, units_of(community)[0])
    accounts.sign_up(factories.next_phone(), "long-enough-1", code, "family")
    db.session.commit()
    before = (count(User), count(Residency))
    with pytest.raises(DomainError) as err:
        accounts.sign_up(factories.next_phone(), "long-enough-1", code, "tenant")
    assert err.value.field == "code"
    assert _nothing_written(before)


def test_a_revoked_code_is_refused_and_nothing_is_written(community, committee):
    code = issue(community, units_of(community)[0])
    accounts.revoke_invite(committee, invite_by_code(code))
    db.session.commit()
    before = (count(User), count(Residency))
    with pytest.raises(DomainError) as err:
        accounts.sign_up(factories.next_phone(), "long-enough-1", code, "family")
    assert err.value.field == "code"
    assert _nothing_written(before)
    assert invite_by_code(code).used_at is None


def test_an_unknown_code_is_refused_and_nothing_is_written(community):
    issue(community, units_of(community)[0])
    before = (count(User), count(Residency))
    with pytest.raises(DomainError) as err:
        accounts.sign_up(factories.next_phone(), "long-enough-1", "ZZZZ-ZZZZ", "family")
    assert err.value.field == "code"
    assert _nothing_written(before)


@pytest.mark.parametrize("phone", ["12345", "2381234567a", "1381234567", "138123456789", ""])
def test_a_bad_phone_is_refused(community, phone):
    code = issue(community, units_of(community)[0])
    before = (count(User), count(Residency))
    with pytest.raises(DomainError) as err:
        accounts.sign_up(phone, "long-enough-1", code, "family")
    assert err.value.field == "phone"
    assert _nothing_written(before)
    assert invite_by_code(code).usable


def test_a_short_password_is_refused(community):
    code = issue(community, units_of(community)[0])
    before = (count(User), count(Residency))
    with pytest.raises(DomainError) as err:
        accounts.sign_up(factories.next_phone(), "1234567", code, "family")
    assert err.value.field == "password"
    assert _nothing_written(before)
    # Eight characters are enough.
    accounts.sign_up(factories.next_phone(), "12345678", code, "family")


def test_a_phone_that_has_an_account_is_refused(community):
    existing = factories.user(db.session)
    code = issue(community, units_of(community)[0])
    before = (count(User), count(Residency))
    with pytest.raises(DomainError) as err:
        accounts.sign_up(existing.phone, "long-enough-1", code, "family")
    assert err.value.field == "phone"
    assert _nothing_written(before)
    assert invite_by_code(code).usable


def test_an_unknown_relation_is_refused(community):
    code = issue(community, units_of(community)[0])
    with pytest.raises(DomainError) as err:
        accounts.sign_up(factories.next_phone(), "long-enough-1", code, "landlord")
    assert err.value.field == "relation"
    db.session.rollback()
    assert count(Residency) == 0
    assert invite_by_code(code).usable


# --- claims -----------------------------------------------------------------------------------


def test_the_same_code_claimed_twice_in_a_row_is_refused_the_second_time(community):
    code = issue(community, units_of(community)[0])
    first, second = factories.user(db.session), factories.user(db.session)
    accounts.claim_invite(first, code, "family")
    db.session.commit()
    with pytest.raises(DomainError):
        accounts.claim_invite(second, code, "family")
    db.session.rollback()
    assert db.session.scalars(select(Residency.user_id)).all() == [first.id]


def test_a_claim_racing_another_is_refused(app, community):
    """Both sign-ups read the code as usable; the other transaction commits its claim first.
    The atomic claim must refuse the second, not give the unit two claimants."""
    code = issue(community, units_of(community)[0])
    winner, loser = factories.user(db.session), factories.user(db.session)
    invite = db.session.scalar(select(Invite).where(Invite.code == code))
    assert invite.usable  # this session has now seen the code unused
    with Session(db.engine) as other:
        other.execute(
            update(Invite)
            .where(Invite.id == invite.id)
            .values(used_at=utcnow(), used_by_id=winner.id)
        )
        other.commit()
    assert invite.usable, "the session still holds its stale view"
    with pytest.raises(DomainError) as err:
        accounts.claim_invite(loser, code, "family")
    assert err.value.field == "code"
    db.session.rollback()
    assert count(Residency) == 0
    assert invite_by_code(code).used_by_id == winner.id


def test_claiming_a_second_home_adds_a_link(community):
    first_unit, second_unit = units_of(community)[2:4]
    user = accounts.sign_up(
        factories.next_phone(), "long-enough-1", issue(community, first_unit), "tenant"
    )
    db.session.commit()
    accounts.claim_invite(user, issue(community, second_unit), "family")
    db.session.commit()
    assert sorted(link.unit_id for link in user.residencies) == sorted(
        [first_unit.id, second_unit.id]
    )


# --- passwords --------------------------------------------------------------------------------


def test_change_password_bumps_the_session_version(db):
    user = factories.user(db.session)
    version = user.session_version
    old_id = user.get_id()
    accounts.change_password(user, factories.PASSWORD, "a-new-password")
    db.session.commit()
    assert user.session_version == version + 1
    assert user.get_id() != old_id
    assert accounts.authenticate(user.phone, "a-new-password") == user
    assert accounts.authenticate(user.phone, factories.PASSWORD) is None


def test_change_password_needs_the_current_one(db):
    user = factories.user(db.session)
    with pytest.raises(DomainError) as err:
        accounts.change_password(user, "not-the-password", "a-new-password")
    assert err.value.field == "current"
    assert user.session_version == 1
    with pytest.raises(DomainError) as err:
        accounts.change_password(user, factories.PASSWORD, "short")
    assert err.value.field == "password"
    db.session.rollback()
    assert accounts.authenticate(user.phone, factories.PASSWORD) == user


def test_authenticate_refuses_an_inactive_account(db):
    user = factories.user(db.session)
    user.active = False
    db.session.commit()
    assert accounts.authenticate(user.phone, factories.PASSWORD) is None
