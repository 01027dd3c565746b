"""Menu use cases: the community's copy, editing, cost validation and the audit log."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from participation.core.errors import DomainError
from participation.core.models import AuditEntry
from participation.extensions import db as _db
from participation.plan import services
from participation.plan.menu_data import DEFAULT_MENU
from participation.plan.models import MenuItem
from tests import factories


def _count(community) -> int:
    return _db.session.scalar(
        select(func.count(MenuItem.id)).where(MenuItem.community_id == community.id)
    )


def _actions(community) -> list[str]:
    return list(
        _db.session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.community_id == community.id)
            .order_by(AuditEntry.id)
        )
    )


def _values(item: MenuItem, **changes) -> dict:
    values = {
        "category": item.category,
        "name_zh": item.name_zh,
        "name_en": item.name_en,
        "description_zh": item.description_zh,
        "description_en": item.description_en,
        "cost_basis": item.cost_basis,
        "cost_amount": item.cost_amount,
        "residents_share": item.residents_share,
    }
    values.update(changes)
    return values


def _item(community, key: str) -> MenuItem:
    return _db.session.scalar(
        select(MenuItem).where(MenuItem.community_id == community.id, MenuItem.key == key)
    )


@pytest.fixture()
def menu(db, community, people, ctx):
    services.ensure_menu(community, people["committee"])
    db.session.commit()
    return community


def test_ensure_menu_copies_the_defaults_once(db, community, people, ctx):
    added = services.ensure_menu(community, people["committee"])
    db.session.commit()
    assert len(added) == 31
    assert _count(community) == 31
    assert {i.key for i in added} == {d.key for d in DEFAULT_MENU}
    assert services.ensure_menu(community, people["committee"]) == []
    db.session.commit()
    assert _count(community) == 31
    assert _actions(community) == ["menu.create"]
    items = services.items_of(community)
    assert [i.position for i in items] == sorted(i.position for i in items)


def test_each_community_has_its_own_copy(db, community, people, ctx):
    other = factories.community(db.session, code="T03", buildings=1, entrances=1, per_entrance=2)
    services.ensure_menu(community)
    services.ensure_menu(other)
    db.session.commit()
    lift = _item(community, "lift")
    services.update_item(people["committee"], lift, **_values(lift, name_zh="一单元加装电梯"))
    db.session.commit()
    assert _item(other, "lift").name_zh == "加装电梯"


def test_update_item_sets_cost_and_share_and_is_audited(db, menu, people):
    item = _item(menu, "insulation")
    changed = services.update_item(
        people["committee"],
        item,
        **_values(item, cost_basis="per_m2", cost_amount="1,200.5", residents_share=True),
    )
    db.session.commit()
    db.session.refresh(item)
    assert set(changed) == {"cost_basis", "cost_amount", "residents_share"}
    assert item.cost_amount == Decimal("1200.50") and item.cost_basis == "per_m2"
    assert item.residents_share and item.has_cost
    assert _actions(menu)[-1] == "menu.edit"
    # Saving the same values changes nothing and records nothing.
    assert services.update_item(people["committee"], item, **_values(item)) == {}
    assert _actions(menu).count("menu.edit") == 1


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("-1", "cannot be negative"),
        ("-0.01", "cannot be negative"),
        ("abc", "must be a number"),
        ("12元", "must be a number"),
        ("NaN", "must be a number"),
        ("Infinity", "must be a number"),
        ("1.234", "at most 2 decimal places"),
        ("100000000.01", "too large"),
        ("1e12", "too large"),
        ("1" * 40 + ".123", "too large"),
    ],
)
def test_bad_costs_are_refused_and_nothing_is_written(db, menu, people, amount, message):
    item = _item(menu, "lift")
    before = _actions(menu)
    with pytest.raises(DomainError) as err:
        services.update_item(
            people["committee"],
            item,
            **_values(item, name_zh="改过的名字", cost_basis="total", cost_amount=amount),
        )
    assert message in err.value.message and err.value.field == "cost_amount"
    db.session.rollback()
    item = _item(menu, "lift")
    assert item.name_zh == "加装电梯" and item.cost_amount is None and item.cost_basis == "none"
    assert _actions(menu) == before


def test_cost_needs_a_basis_and_a_basis_needs_an_amount(db, menu, people):
    item = _item(menu, "lift")
    with pytest.raises(DomainError) as err:
        services.update_item(people["committee"], item, **_values(item, cost_amount="100"))
    assert err.value.field == "cost_basis"
    with pytest.raises(DomainError) as err:
        services.update_item(
            people["committee"], item, **_values(item, cost_basis="total", cost_amount="")
        )
    assert err.value.field == "cost_amount"
    with pytest.raises(DomainError) as err:
        services.update_item(people["committee"], item, **_values(item, cost_basis="monthly"))
    assert err.value.field == "cost_basis"


def test_upper_limit_and_zero_are_accepted(db, menu, people):
    item = _item(menu, "lift")
    services.update_item(
        people["committee"], item, **_values(item, cost_basis="total", cost_amount="100000000")
    )
    assert item.cost_amount == Decimal("100000000.00")
    services.update_item(
        people["committee"], item, **_values(item, cost_basis="total", cost_amount="0")
    )
    assert item.cost_amount == Decimal("0.00")


def test_names_and_category_are_checked(db, menu, people):
    item = _item(menu, "roof")
    with pytest.raises(DomainError) as err:
        services.update_item(people["committee"], item, **_values(item, name_zh=" ", name_en=""))
    assert err.value.field == "name_zh"
    with pytest.raises(DomainError) as err:
        services.update_item(people["committee"], item, **_values(item, category="luxury"))
    assert err.value.field == "category"
    with pytest.raises(DomainError) as err:
        services.update_item(people["committee"], item, **_values(item, name_en="x" * 101))
    assert err.value.field == "name_en"


def test_add_item_is_custom_and_last(db, community, people, ctx):
    item = services.add_item(
        people["committee"],
        community,
        category="improvement",
        name_zh="公共晾衣架",
        name_en="",
        description_zh="在空地上装晾衣架。",
        description_en="",
        cost_basis="total",
        cost_amount="36000",
        residents_share=False,
    )
    db.session.commit()
    assert item.key is None and _count(community) == 32  # the defaults were copied first
    assert item.position == max(i.position for i in services.items_of(community))
    assert item.name("en") == "公共晾衣架"  # falls back to the other language
    assert _actions(community) == ["menu.create", "menu.add"]


def test_hide_and_show(db, menu, people):
    item = _item(menu, "kindergarten")
    services.hide_item(people["committee"], item)
    db.session.commit()
    assert item not in services.items_of(menu)
    assert item in services.items_of(menu, include_hidden=True)
    with pytest.raises(DomainError):
        services.hide_item(people["committee"], item)
    services.show_item(people["committee"], item)
    db.session.commit()
    assert item in services.items_of(menu)
    assert _actions(menu)[-2:] == ["menu.hide", "menu.show"]


def test_sections_group_by_category(db, menu):
    sections = services.menu_sections(menu)
    assert [s.category for s in sections] == ["basic", "improvement", "upgrade"]
    assert all(i.basic for i in sections[0].items)
    assert sum(len(s.items) for s in sections) == 31
