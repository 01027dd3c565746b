"""Paper pledges: the committee records, for a home of the register, what a household without
an account signed on paper. Same rules and one-time token as a resident's pledge, audited,
shown to the committee as recorded by it, never on the honour roll; only the committee of that
community may record one, and only while step 3 is the current step."""

from __future__ import annotations

import html
import re
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from participation.core.errors import DomainError
from participation.core.models import AuditEntry, Message
from participation.extensions import db
from participation.pledge import services
from participation.pledge.models import Pledge


def count(model) -> int:
    return db.session.scalar(select(func.count(model.id)))


def paper(actor, community, unit, token=None, **kw):
    values = {"kind": "money", "amount": "800", "evidence": "No. 0012"}
    values.update(kw)
    return services.record_paper_pledge(
        actor, community, unit_id=unit.id, token=token or services.new_token(), **values
    )


# ---------------------------------------------------------------------------------------------
# Services


@pytest.mark.usefixtures("ctx")
class TestService:
    def test_records_a_money_pledge_for_a_home_without_an_account(self, step3, units, people):
        pledge, created = paper(people["committee"], step3, units[5])
        db.session.commit()
        assert created and pledge.on_paper
        assert (pledge.unit_id, pledge.user_id, pledge.recorded_by_id) == (
            units[5].id,
            None,
            people["committee"].id,
        )
        assert (pledge.amount, pledge.evidence, pledge.honour) == (D("800.00"), "No. 0012", False)
        entry = db.session.scalar(
            select(AuditEntry).where(AuditEntry.action == "pledge.record_paper")
        )
        assert entry.actor_id == people["committee"].id and entry.target_id == str(pledge.id)
        assert entry.detail["evidence"] == "No. 0012" and entry.detail["amount"] == "800.00"

    def test_labour_and_materials(self, step3, units, people):
        labour, _ = paper(
            people["committee"], step3, units[6], kind="labour", hours="2.5", skill="gardening"
        )
        goods, _ = paper(
            people["committee"],
            step3,
            units[7],
            kind="materials",
            item="水泥",
            quantity="3袋",
            value="90",
        )
        assert (labour.hours, labour.skill) == (D("2.5"), "gardening")
        assert (goods.item, goods.quantity, goods.value) == ("水泥", "3袋", D("90.00"))

    @pytest.mark.parametrize(
        ("kw", "field"),
        [
            ({"amount": "0"}, "amount"),
            ({"amount": "-5"}, "amount"),
            ({"amount": "999999999"}, "amount"),
            ({"kind": "labour", "hours": "0.4", "skill": "cleaning"}, "hours"),
            ({"kind": "labour", "hours": "500.5", "skill": "cleaning"}, "hours"),
            ({"kind": "labour", "hours": "3", "skill": "juggling"}, "skill"),
            ({"kind": "materials", "item": "", "quantity": "1"}, "item"),
            ({"kind": "gold"}, "kind"),
            ({"evidence": "  "}, "evidence"),
            ({"evidence": "x" * 201}, "evidence"),
        ],
    )
    def test_same_validation_as_residents_and_nothing_written(
        self, step3, units, people, kw, field
    ):
        with pytest.raises(DomainError) as err:
            paper(people["committee"], step3, units[5], **kw)
        db.session.rollback()
        assert err.value.field == field
        assert count(Pledge) == 0 and count(AuditEntry) == 0

    def test_hours_boundaries_accepted(self, step3, units, people):
        for hours in ("0.5", "500"):
            paper(people["committee"], step3, units[5], kind="labour", hours=hours, skill="other")
        assert count(Pledge) == 2

    def test_home_of_another_community_refused(self, step3, people, db):
        from participation.core.models import Unit

        other_unit = db.session.scalar(
            select(Unit).where(Unit.community_id != step3.id).order_by(Unit.id)
        )
        with pytest.raises(DomainError) as err:
            paper(people["committee"], step3, other_unit)
        assert err.value.field == "unit_id"

    def test_refused_outside_step_3(self, community, plan, units, people):
        with pytest.raises(DomainError, match="only while step 3"):
            paper(people["committee"], community, units[5])

    def test_the_same_token_twice_makes_one_pledge(self, step3, units, people):
        token = services.new_token()
        first, created = paper(people["committee"], step3, units[5], token=token)
        again, created_again = paper(people["committee"], step3, units[5], token=token)
        db.session.commit()
        assert created and not created_again and first.id == again.id
        assert count(Pledge) == 1
        # Someone else's token is not theirs to replay.
        with pytest.raises(DomainError, match="expired"):
            paper(people["owner"], step3, units[5], token=token)
        with pytest.raises(DomainError, match="expired"):
            services.make_pledge(
                people["owner"], step3, unit_id=None, kind="money", token=token, amount="5"
            )

    def test_counts_in_the_ledger_and_lifecycle(self, step3, units, people):
        pledge, _ = paper(people["committee"], step3, units[5], amount="1200")
        db.session.commit()
        led = services.ledger(step3)
        assert led.money.pledged_amount == D("1200.00") and led.households_pledging == 1
        # The resident cannot withdraw it (there is none); the committee confirms it.
        with pytest.raises(DomainError):
            services.withdraw(people["owner"], pledge)
        services.confirm(people["committee"], pledge, reference="收据 88")
        db.session.commit()
        assert count(Message) == 0  # nobody to tell in the app
        led = services.ledger(step3)
        assert led.money.confirmed_value == D("1200.00")
        assert led.honour == []  # no consent to be named: not on the honour roll
        rows = services.committee_list(step3, None)
        assert [(r.name, r.unit_label, r.pledge.on_paper) for r in rows] == [("", "1-2-102", True)]

    def test_cancel_tells_nobody(self, step3, units, people):
        pledge, _ = paper(people["committee"], step3, units[5])
        services.cancel(people["committee"], pledge, "签错了")
        db.session.commit()
        assert pledge.status == "cancelled" and count(Message) == 0


# ---------------------------------------------------------------------------------------------
# Views


def text(resp) -> str:
    return html.unescape(resp.get_data(as_text=True))


def hidden(page: str, name: str) -> str:
    m = re.search(rf'name="{name}"[^>]*value="([^"]*)"', page) or re.search(
        rf'value="([^"]*)"[^>]*name="{name}"', page
    )
    assert m, name
    return m.group(1)


def form_of(client, code):
    page = text(client.get(f"/c/{code}/pledge/paper"))
    return {"csrf_token": hidden(page, "csrf_token"), "token": hidden(page, "token")}


def test_committee_records_a_paper_pledge_by_typing_the_home(step3, units, people, as_user):
    client = as_user(people["committee"])
    data = {**form_of(client, "T01"), "unit": "1-2-102", "kind": "money", "amount": "600",
            "evidence": "No. 7"}  # fmt: skip
    first = client.post("/c/T01/pledge/paper", data, csrf=False)
    second = client.post("/c/T01/pledge/paper", data, csrf=False)  # a double tap
    assert first.status_code == second.status_code == 302
    pledge = db.session.scalar(select(Pledge))
    assert count(Pledge) == 1 and pledge.unit_id == units[5].id and pledge.amount == D("600.00")
    page = text(client.get("/c/T01/pledge/paper"))
    assert "already recorded" in page and "No. 7" in page
    listing = text(client.get("/c/T01/pledge/manage"))
    assert "Recorded by the committee" in listing and "Home 1-2-102" in listing


def test_committee_chooses_the_home_from_the_lists(step3, units, people, as_user):
    client = as_user(people["committee"])
    data = {**form_of(client, "T01"), "building": "2", "entrance": "1", "room": "201",
            "kind": "labour", "hours": "3", "skill": "cleaning", "evidence": "纸质 3"}  # fmt: skip
    assert client.post("/c/T01/pledge/paper", data, csrf=False).status_code == 302
    pledge = db.session.scalar(select(Pledge))
    assert pledge.unit.label() == "2-1-201" and pledge.hours == D("3.0")


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"unit": "9-9-909"}, "No home 9-9-909 in the register"),
        ({"unit": "abc"}, "building-entrance-room"),
        ({}, "Choose the building, entrance and room"),
        ({"unit": "1-1-101", "amount": "0"}, "The amount must be more than 0."),
        ({"unit": "1-1-101", "evidence": ""}, "paper form's number"),
    ],
)
def test_bad_input_is_shown_and_writes_nothing(step3, people, as_user, values, message):
    client = as_user(people["committee"])
    data = {**form_of(client, "T01"), "kind": "money", "amount": "600", "evidence": "No. 7"}
    data.update(values)
    resp = client.post("/c/T01/pledge/paper", data, csrf=False)
    assert resp.status_code == 400 and message in text(resp)
    assert count(Pledge) == 0 and count(AuditEntry) == 0


def test_refused_when_step_3_is_not_current(community, plan, people, as_user):
    client = as_user(people["committee"])
    page = text(client.get("/c/T01/pledge/paper"))
    assert "only while step 3" in page
    data = {"csrf_token": hidden(page, "csrf_token"), "token": hidden(page, "token"),
            "unit": "1-1-101", "kind": "money", "amount": "5", "evidence": "x"}  # fmt: skip
    resp = client.post("/c/T01/pledge/paper", data, csrf=False)
    assert resp.status_code == 400 and count(Pledge) == 0


@pytest.mark.parametrize(
    "role", ["anon", "owner", "tenant", "property", "city", "outsider", "other_committee"]
)
def test_only_the_committee_of_that_community(step3, people, as_user, role):
    client = as_user(None if role == "anon" else people[role])
    resp = client.get("/c/T01/pledge/paper")
    assert resp.status_code in ((302,) if role == "anon" else (403,))
    resp = client.post(
        "/c/T01/pledge/paper",
        {"unit": "1-1-101", "kind": "money", "amount": "5", "evidence": "x",
         "token": services.new_token()},
    )  # fmt: skip
    assert resp.status_code in ((302,) if role == "anon" else (403,))
    assert count(Pledge) == 0


def test_confirm_page_of_a_paper_pledge(step3, units, people, as_user, ctx):
    pledge, _ = paper(people["committee"], step3, units[5])
    db.session.commit()
    client = as_user(people["committee"])
    page = text(client.get(f"/c/T01/pledge/{pledge.id}/confirm"))
    assert "Home 1-2-102" in page and "Recorded by the committee" in page and "No. 0012" in page
    page = text(client.get(f"/c/T01/pledge/{pledge.id}/cancel"))
    assert "Paper pledge: No. 0012" in page
