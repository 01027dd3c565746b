"""The household survey: limits, replacing picks, closing, refused items, the ranking, pages."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from participation.core.errors import DomainError
from participation.core.models import AuditEntry, Residency, Unit
from participation.core.timeutil import utcnow
from participation.extensions import db as _db
from participation.plan import services, survey
from participation.plan.models import ChoiceRound, HouseholdPick, MenuItem
from tests import factories

SURVEY = "/c/T01/plan/survey"


def _item(key: str, community_id: int | None = None) -> MenuItem:
    query = select(MenuItem).where(MenuItem.key == key)
    if community_id is not None:
        query = query.where(MenuItem.community_id == community_id)
    return _db.session.scalars(query).first()


def _units(community) -> list[Unit]:
    return list(
        _db.session.scalars(select(Unit).where(Unit.community_id == community.id).order_by(Unit.id))
    )


def _picks(round_: ChoiceRound) -> int:
    return _db.session.scalar(
        select(func.count(HouseholdPick.id)).where(HouseholdPick.round_id == round_.id)
    )


def _ids(*keys: str) -> list[int]:
    return [_item(k).id for k in keys]


@pytest.fixture()
def menu(db, community, people, ctx):
    services.ensure_menu(community, people["committee"])
    db.session.commit()
    return community


@pytest.fixture()
def round_(menu, people):
    r = survey.open_round(people["committee"], menu, utcnow() + timedelta(days=7), 3)
    _db.session.commit()
    return r


def test_open_round_validates_and_audits(menu, people):
    for bad in (0, 11, "x"):
        with pytest.raises(DomainError, match="from 1 to 10"):
            survey.open_round(people["committee"], menu, utcnow() + timedelta(days=1), bad)
    with pytest.raises(DomainError, match="in the future"):
        survey.open_round(people["committee"], menu, utcnow() - timedelta(hours=1), 5)
    survey.open_round(people["committee"], menu, utcnow() + timedelta(days=1), 5)
    _db.session.commit()
    with pytest.raises(DomainError, match="already open"):
        survey.open_round(people["committee"], menu, utcnow() + timedelta(days=2), 5)
    assert _db.session.scalar(select(func.count(ChoiceRound.id))) == 1
    actions = set(_db.session.scalars(select(AuditEntry.action)))
    assert "survey.open" in actions


def test_pick_limit(round_, people, community):
    unit = _units(community)[0]
    keys = [i.key for i in survey.pickable_items(community)][:4]
    with pytest.raises(DomainError, match="You picked 4 items; choose at most 3."):
        survey.set_picks(people["owner"], round_, unit.id, _ids(*keys))
    _db.session.rollback()
    assert _picks(round_) == 0
    assert survey.set_picks(people["owner"], round_, unit.id, _ids(*keys[:3])) == set(
        _ids(*keys[:3])
    )


def test_changing_picks_replaces_them(round_, people, community):
    unit = _units(community)[0]
    keys = [i.key for i in survey.pickable_items(community)]
    survey.set_picks(people["owner"], round_, unit.id, _ids(*keys[:3]))
    _db.session.commit()
    survey.set_picks(people["owner"], round_, unit.id, _ids(keys[3]))
    _db.session.commit()
    assert survey.picks_of(round_, unit.id) == set(_ids(keys[3]))
    assert _picks(round_) == 1
    survey.set_picks(people["owner"], round_, unit.id, [])
    _db.session.commit()
    assert _picks(round_) == 0


def test_after_closing_refused(round_, people, community):
    unit = _units(community)[0]
    keys = [i.key for i in survey.pickable_items(community)]
    survey.set_picks(people["owner"], round_, unit.id, _ids(keys[0]))
    survey.close_round(people["committee"], round_)
    _db.session.commit()
    with pytest.raises(DomainError, match="The survey is closed"):
        survey.set_picks(people["owner"], round_, unit.id, _ids(keys[1]))
    _db.session.rollback()
    assert survey.picks_of(round_, unit.id) == set(_ids(keys[0]))
    with pytest.raises(DomainError, match="already closed"):
        survey.close_round(people["committee"], round_)
    assert "survey.close" in set(_db.session.scalars(select(AuditEntry.action)))


def test_closing_time_passed_refused(round_, people, community):
    unit = _units(community)[0]
    keys = [i.key for i in survey.pickable_items(community)]
    with pytest.raises(DomainError, match="The survey is closed"):
        survey.set_picks(
            people["owner"], round_, unit.id, _ids(keys[0]), now=utcnow() + timedelta(days=8)
        )
    assert _picks(round_) == 0


def test_basic_hidden_and_other_community_items_refused(round_, people, community):
    unit = _units(community)[0]
    keys = [i.key for i in survey.pickable_items(community)]
    good = _item(keys[0]).id
    basic = _db.session.scalar(
        select(MenuItem.id).where(
            MenuItem.community_id == community.id, MenuItem.category == "basic"
        )
    )
    hidden = _item(keys[1])
    services.hide_item(people["committee"], hidden)
    other = factories.community(_db.session, code="T03", buildings=1, entrances=1, per_entrance=1)
    foreign = services.ensure_menu(other)[-1]
    _db.session.commit()
    survey.set_picks(people["owner"], round_, unit.id, [good])
    _db.session.commit()
    for bad in (basic, hidden.id, foreign.id, 999999):
        with pytest.raises(DomainError, match="Only visible improvement and upgrade items"):
            survey.set_picks(people["owner"], round_, unit.id, [bad])
        _db.session.rollback()
        assert survey.picks_of(round_, unit.id) == {good}


def test_non_resident_refused(round_, people, community):
    units = _units(community)
    keys = [i.key for i in survey.pickable_items(community)]
    for who, unit in (
        ("committee", units[0]),
        ("outsider", units[0]),
        ("tenant", units[0]),  # the tenant lives in units[3]
    ):
        with pytest.raises(DomainError, match="a home you are registered to"):
            survey.set_picks(people[who], round_, unit.id, _ids(keys[0]))
    assert _picks(round_) == 0
    survey.set_picks(people["tenant"], round_, units[3].id, _ids(keys[0]))
    assert _picks(round_) == 1


def test_ranking_by_households_and_area(round_, people, community):
    units = _units(community)  # 16 units of 80 m²; units[0] and units[1] share an owner
    units[1].area = Decimal("100.50")
    units[12].area = Decimal("200.00")  # building 2
    owner2 = factories.resident(_db.session, community, "family", units[1])
    far = factories.resident(_db.session, community, "family", units[12])
    _db.session.commit()
    a, b, c = [i.key for i in survey.pickable_items(community)][:3]
    survey.set_picks(people["owner"], round_, units[0].id, _ids(a, b))
    survey.set_picks(owner2, round_, units[1].id, _ids(a))
    survey.set_picks(people["tenant"], round_, units[3].id, _ids(a, c))
    survey.set_picks(far, round_, units[12].id, _ids(c))
    _db.session.commit()

    res = survey.results(round_)
    assert (res.answered, res.units) == (4, 16)
    hh = [(r.item.key, r.households, r.area) for r in res.by_households]
    assert hh == [
        (a, 3, Decimal("261.50")),
        (c, 2, Decimal("280.50")),
        (b, 1, Decimal("80.50")),
    ]
    assert [(r.item.key, r.area) for r in res.by_area] == [
        (c, Decimal("280.50")),
        (a, Decimal("261.50")),
        (b, Decimal("80.50")),
    ]
    first, second = res.buildings
    assert [(r.item.key, r.households, r.area) for r in first.rows] == [
        (a, 3, Decimal("261.50")),
        (b, 1, Decimal("80.50")),
        (c, 1, Decimal("80.50")),
    ]
    assert [(r.item.key, r.households, r.area) for r in second.rows] == [(c, 1, Decimal("200.00"))]


def test_owner_with_two_units_answers_for_each(round_, people, community):
    units = _units(community)
    # the same user linked to both units, as the owner of both
    _db.session.add(
        Residency(
            user_id=people["owner"].id,
            unit_id=units[1].id,
            community_id=community.id,
            relation="owner",
        )
    )
    _db.session.commit()
    a = survey.pickable_items(community)[0].id
    survey.set_picks(people["owner"], round_, units[0].id, [a])
    survey.set_picks(people["owner"], round_, units[1].id, [a])
    _db.session.commit()
    (row,) = survey.results(round_).by_households
    assert (row.households, row.area) == (2, Decimal("161.00"))


# ---------------------------------------------------------------------------------------------
# Pages


def test_anonymous_is_sent_to_log_in(client, round_):
    resp = client.get(SURVEY)
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    resp = client.post(SURVEY, {"action": "close"})
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    assert _db.session.get(ChoiceRound, round_.id).closed_early_at is None


@pytest.mark.parametrize("who", ["outsider", "other_committee"])
def test_other_community_refused(client, round_, people, who):
    client.login(people[who])
    assert client.get(SURVEY).status_code == 403
    assert client.post(SURVEY, {"action": "close"}).status_code == 403


def test_resident_picks_on_the_page(client, round_, people, community):
    unit = _units(community)[0]
    items = survey.pickable_items(community)
    client.login(people["owner"])
    page = client.get(SURVEY).get_data(as_text=True)
    assert "Choose at most 3 items." in page and "Save my choices" in page
    assert "Households answered so far: 0 of 16." in page
    assert items[0].name_en in page
    assert "Close the survey now" not in page
    resp = client.post(
        SURVEY,
        {"action": "save", "unit_id": str(unit.id), "items": [str(items[0].id), str(items[1].id)]},
    )
    assert resp.status_code == 302
    page = client.get(SURVEY).get_data(as_text=True)
    assert "Your choices were saved." in page
    assert f'value="{items[0].id}" checked' in page
    assert "Households answered so far: 1 of 16." in page
    resp = client.post(
        SURVEY,
        {"action": "save", "unit_id": str(unit.id), "items": [str(i.id) for i in items[:4]]},
    )
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    assert "You picked 4 items; choose at most 3." in page
    assert all(f'value="{i.id}" checked' in page for i in items[:4])  # the ticks are kept
    assert survey.picks_of(round_, unit.id) == {items[0].id, items[1].id}
    assert client.post(SURVEY, {"action": "close"}).status_code == 403
    client.set_cookie("lang", "zh_Hans")
    page = client.get(SURVEY).get_data(as_text=True)
    assert items[0].name_zh in page


def test_committee_opens_and_closes(client, menu, people, community):
    client.login(people["committee"])
    page = client.get(SURVEY).get_data(as_text=True)
    assert "No survey has been opened yet." in page and "Open a survey" in page
    client.post(SURVEY, {"action": "open", "closes_at": "2000-01-01T10:00", "max_picks": "5"})
    assert "The closing time must be in the future." in client.get(SURVEY).get_data(as_text=True)
    client.post(SURVEY, {"action": "open", "closes_at": "2099-01-01T10:00", "max_picks": "12"})
    assert "from 1 to 10" in client.get(SURVEY).get_data(as_text=True)
    assert _db.session.scalar(select(func.count(ChoiceRound.id))) == 0
    resp = client.post(
        SURVEY, {"action": "open", "closes_at": "2099-01-01T10:00", "max_picks": "5"}
    )
    assert resp.status_code == 302
    r = survey.current_round(community)
    assert r.max_picks == 5 and r.is_open()
    page = client.get(SURVEY).get_data(as_text=True)
    assert "Households answered so far: 0 of 16." in page and "Close the survey now" in page

    unit = _units(community)[0]
    item = survey.pickable_items(community)[0]
    survey.set_picks(people["owner"], r, unit.id, [item.id])
    _db.session.commit()
    client.post(SURVEY, {"action": "close"})
    assert _db.session.get(ChoiceRound, r.id).closed_early_at is not None

    client.post("/logout")
    client.login(people["tenant"])
    page = client.get(SURVEY).get_data(as_text=True)
    assert "Ranked by households" in page and "Ranked by floor area" in page
    assert "Households answered: 1 of 16." in page
    assert item.name_en in page and "80.50" in page
    assert "Save my choices" not in page and "Open a survey" not in page


def test_results_hidden_while_open(client, round_, people, community):
    unit = _units(community)[0]
    item = survey.pickable_items(community)[0]
    survey.set_picks(people["owner"], round_, unit.id, [item.id])
    _db.session.commit()
    client.login(people["tenant"])
    page = client.get(SURVEY).get_data(as_text=True)
    assert "Ranked by households" not in page
    assert "Households answered so far: 1 of 16." in page


def test_menu_links_to_the_survey(client, menu, people):
    client.login(people["owner"])
    assert SURVEY in client.get("/c/T01/plan/menu").get_data(as_text=True)


def test_household_sees_what_its_picks_would_cost_its_home(client, round_, people, community):
    lift = _db.session.scalar(select(MenuItem).where(MenuItem.key == "lift"))
    lift.cost_basis, lift.cost_amount, lift.residents_share = "total", Decimal("680000"), True
    _db.session.commit()
    client.login(people["owner"])
    page = client.get(SURVEY).get_data(as_text=True)
    # 680,000 × 80.50 m² / 1,288 m² (16 homes of 80.50 m²)
    assert "about ¥42,500.00 for your home" in page
    assert "Your saved choices would cost your home about" not in page
    unit = _units(community)[0]
    client.post(SURVEY, {"action": "save", "unit_id": str(unit.id), "items": [str(lift.id)]})
    page = client.get(SURVEY).get_data(as_text=True)
    assert "Your saved choices would cost your home about" in page and "¥42,500.00" in page
