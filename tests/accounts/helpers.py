"""Helpers for the account tests."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event, func, select

from participation.core import permissions
from participation.core.models import Community, Invite, Unit, User
from participation.core.services import accounts
from participation.extensions import db
from tests import factories


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def units_of(community: Community, building: str | None = None) -> list[Unit]:
    units = db.session.scalars(
        select(Unit).where(Unit.community_id == community.id).order_by(Unit.id)
    ).all()
    if building is not None:
        units = [u for u in units if u.entrance.building.name == building]
    return units


def issue(community: Community, unit: Unit, actor=None) -> str:
    """A fresh usable code for `unit`, committed."""
    (invite,) = accounts.create_invites(actor, community, [unit.id], only_missing=False)
    db.session.commit()
    return invite.code


def invite_by_code(code: str) -> Invite:
    db.session.expire_all()
    return db.session.scalar(select(Invite).where(Invite.code == accounts.normalise_code(code)))


def roles(user: User, community: Community) -> frozenset[str]:
    permissions.forget_roles()  # cached per request; the test reads after requests
    db.session.expire_all()
    return permissions.roles_for(user, community.id)


def signup_form(code: str, **overrides) -> dict:
    data = {
        "code": code,
        "phone": factories.next_phone(),
        "name": "王阿姨",
        "relation": "family",
        "password": "long-enough-1",
        "privacy": "y",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def text(resp) -> str:
    return resp.get_data(as_text=True)


@contextmanager
def count_queries() -> Iterator[list[str]]:
    """The SQL statements run inside the block."""
    statements: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):  # noqa: ARG001
        statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)


def selects_from(statements: list[str], table: str) -> list[str]:
    pattern = re.compile(rf'\bFROM\s+"?{table}"?\b', re.IGNORECASE)
    return [s for s in statements if s.lstrip().upper().startswith("SELECT") and pattern.search(s)]
