"""Use cases of the renovation menu (step 2, 方案共谋).

`ensure_menu` gives a community its own copy of the default menu (menu_data.DEFAULT_MENU) the
first time it is needed, and does nothing once the community has a menu. The committee then
`add_item`s its own items, `update_item`s any item (reword, move to another category, enter a
cost estimate and whether residents share the cost) and `hide_item`s / `show_item`s items.
Nothing is deleted, and every change is recorded in the audit log.

Costs are Decimal amounts in yuan with at most 2 decimal places, 0 to MAX_COST; anything else
(negative, not a number, NaN/Infinity, too many decimals, too large) is refused with a DomainError
naming the field, before anything is changed.

Each function changes the session only; the caller commits once (or rolls back on DomainError).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from ..core import audit
from ..core.errors import DomainError
from ..core.models import Community
from ..extensions import db
from . import permissions as _permissions  # noqa: F401  (registers the menu.* actions)
from .menu_data import CATEGORIES, DEFAULT_MENU
from .models import CostBasis, MenuItem

NAME_MAX = 100
DESCRIPTION_MAX = 1000
MAX_COST = Decimal("100000000")  # ¥100 million: anything above is a typing mistake
COST_BASES = tuple(CostBasis)

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _clean(text: Any) -> str:
    text = "" if text is None else str(text)
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n")).strip()


def _community_id(community: Community | int) -> int:
    return getattr(community, "id", community)


# ---------------------------------------------------------------------------------------------
# Reading


def items_of(community: Community | int, *, include_hidden: bool = False) -> list[MenuItem]:
    query = select(MenuItem).where(MenuItem.community_id == _community_id(community))
    if not include_hidden:
        query = query.where(MenuItem.hidden.is_(False))
    return list(db.session.scalars(query.order_by(MenuItem.position, MenuItem.id)))


@dataclass(frozen=True)
class Section:
    category: str
    items: list[MenuItem]


def menu_sections(community: Community | int, *, include_hidden: bool = False) -> list[Section]:
    """The menu grouped by category, in the order basic, improvement, upgrade."""
    items = items_of(community, include_hidden=include_hidden)
    return [Section(c, [i for i in items if i.category == c]) for c in CATEGORIES]


# ---------------------------------------------------------------------------------------------
# The community's copy


def ensure_menu(community: Community, actor: Any = None) -> list[MenuItem]:
    """Copy the default menu to the community unless it already has a menu; returns the items
    added (none the second time)."""
    exists = db.session.scalar(
        select(MenuItem.id).where(MenuItem.community_id == community.id).limit(1)
    )
    if exists is not None:
        return []
    items = [
        MenuItem(
            community_id=community.id,
            key=d.key,
            category=d.category,
            name_zh=d.name_zh,
            name_en=d.name_en,
            description_zh=d.description_zh,
            description_en=d.description_en,
            hidden=False,
            position=(n + 1) * 10,
            cost_basis=CostBasis.NONE,
            cost_amount=None,
            residents_share=False,
        )
        for n, d in enumerate(DEFAULT_MENU)
    ]
    db.session.add_all(items)
    db.session.flush()
    audit.record(actor, "menu.create", community_id=community.id, items=len(items))
    return items


# ---------------------------------------------------------------------------------------------
# Validation


def parse_cost(value: Any) -> Decimal | None:
    """An amount in yuan as typed ("1200", "1,200.50", "120.5"), or None when left empty."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        amount = value
    else:
        text = _clean(value).replace(",", "").replace(",", "").replace(" ", "")
        text = text.removeprefix("¥").removeprefix("¥")
        if not text:
            return None
        try:
            amount = Decimal(text)
        except (InvalidOperation, ValueError):
            raise DomainError(
                _("The cost must be a number, such as 1200 or 85.50."), "cost_amount"
            ) from None
    if not amount.is_finite():
        raise DomainError(_("The cost must be a number, such as 1200 or 85.50."), "cost_amount")
    if amount < 0:
        raise DomainError(_("The cost cannot be negative."), "cost_amount")
    if amount > MAX_COST:
        raise DomainError(
            _("The cost is too large (at most %(max)s yuan).", max="100,000,000"), "cost_amount"
        )
    if amount.as_tuple().exponent < -2 and amount != amount.quantize(Decimal("0.01")):
        raise DomainError(_("Give the cost in yuan with at most 2 decimal places."), "cost_amount")
    return amount.quantize(Decimal("0.01"))


@dataclass(frozen=True)
class ItemFields:
    category: str
    name_zh: str
    name_en: str
    description_zh: str
    description_en: str
    cost_basis: str
    cost_amount: Decimal | None
    residents_share: bool


# What the committee edits on an item (the keyword arguments of add_item and update_item).
EDITABLE_FIELDS = (
    "category",
    "name_zh",
    "name_en",
    "description_zh",
    "description_en",
    "cost_basis",
    "cost_amount",
    "residents_share",
)


def _fields(
    *,
    category: Any,
    name_zh: Any,
    name_en: Any,
    description_zh: Any,
    description_en: Any,
    cost_basis: Any,
    cost_amount: Any,
    residents_share: Any,
) -> ItemFields:
    category = _clean(category)
    if category not in CATEGORIES:
        raise DomainError(_("Please choose a category."), "category")
    name_zh, name_en = _clean(name_zh), _clean(name_en)
    if not name_zh and not name_en:
        raise DomainError(_("Please enter a name."), "name_zh")
    for field, value in (("name_zh", name_zh), ("name_en", name_en)):
        if len(value) > NAME_MAX:
            raise DomainError(
                _("The name is too long (at most %(n)d characters).", n=NAME_MAX), field
            )
    description_zh, description_en = _clean(description_zh), _clean(description_en)
    for field, value in (("description_zh", description_zh), ("description_en", description_en)):
        if len(value) > DESCRIPTION_MAX:
            raise DomainError(
                _("The description is too long (at most %(n)d characters).", n=DESCRIPTION_MAX),
                field,
            )
    basis = _clean(cost_basis) or CostBasis.NONE
    if basis not in COST_BASES:
        raise DomainError(_("Please choose how the cost is counted."), "cost_basis")
    amount = parse_cost(cost_amount)
    if basis == CostBasis.NONE and amount is not None:
        raise DomainError(
            _("Choose whether the amount is a total, per unit or per m²."), "cost_basis"
        )
    if basis != CostBasis.NONE and amount is None:
        raise DomainError(_("Please enter the estimated cost."), "cost_amount")
    return ItemFields(
        category=category,
        name_zh=name_zh,
        name_en=name_en,
        description_zh=description_zh,
        description_en=description_en,
        cost_basis=str(CostBasis(basis)),
        cost_amount=amount,
        residents_share=bool(residents_share),
    )


def _apply(item: MenuItem, fields: ItemFields) -> dict[str, Any]:
    """Set the fields on the item; returns what changed, old → new, for the audit log."""
    changed: dict[str, Any] = {}
    for name, value in vars(fields).items():
        old = getattr(item, name)
        if old != value:
            changed[name] = f"{old} → {value}"
            setattr(item, name, value)
    return changed


# ---------------------------------------------------------------------------------------------
# Committee actions


def add_item(actor: Any, community: Community, **values: Any) -> MenuItem:
    """A custom item of this community (no key), placed last in the menu."""
    fields = _fields(**values)
    ensure_menu(community, actor)
    last = db.session.scalar(
        select(func.max(MenuItem.position)).where(MenuItem.community_id == community.id)
    )
    item = MenuItem(community_id=community.id, key=None, hidden=False, position=(last or 0) + 10)
    _apply(item, fields)
    db.session.add(item)
    db.session.flush()
    audit.record(
        actor,
        "menu.add",
        community_id=community.id,
        target=item,
        name=item.name_zh or item.name_en,
        category=item.category,
    )
    return item


def update_item(actor: Any, item: MenuItem, **values: Any) -> dict[str, Any]:
    """Reword, recategorise or price an item; returns what changed (nothing is audited when
    nothing changed)."""
    changed = _apply(item, _fields(**values))
    if changed:
        audit.record(actor, "menu.edit", community_id=item.community_id, target=item, **changed)
    return changed


def hide_item(actor: Any, item: MenuItem) -> None:
    if item.hidden:
        raise DomainError(_("This item is already hidden."))
    item.hidden = True
    audit.record(actor, "menu.hide", community_id=item.community_id, target=item)


def show_item(actor: Any, item: MenuItem) -> None:
    if not item.hidden:
        raise DomainError(_("This item is already shown."))
    item.hidden = False
    audit.record(actor, "menu.show", community_id=item.community_id, target=item)
