"""Account use cases: sign-up by invite code, login, password change, staff accounts, and the
committee's control over invite codes and resident links. Each function is one transaction:
the caller commits."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Any

from flask import current_app, url_for
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, and_, func, or_, select, update
from sqlalchemy.orm import contains_eager
from werkzeug.security import check_password_hash, generate_password_hash

from ...extensions import db
from .. import audit, notify
from ..errors import DomainError
from ..models import (
    Building,
    Community,
    Entrance,
    Invite,
    Membership,
    Relation,
    Residency,
    ResidencyStatus,
    Role,
    Unit,
    User,
)
from ..timeutil import utcnow

PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
# No 0/O, 1/I/L: the codes are read off paper by elderly residents.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8
MIN_PASSWORD = 8


def normalise_phone(raw: str) -> str:
    digits = re.sub(r"[\s\-]", "", raw or "")
    if digits.startswith("+86"):
        digits = digits[3:]
    return digits


def valid_phone(phone: str) -> bool:
    return bool(PHONE_RE.match(phone))


def normalise_code(raw: str) -> str:
    return re.sub(r"[\s\-]", "", raw or "").upper()


def format_code(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def hash_password(password: str) -> str:
    return generate_password_hash(
        password, method=current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
    )


def check_password_rules(password: str) -> None:
    if len(password or "") < MIN_PASSWORD:
        raise DomainError(
            _("The password needs at least %(n)d characters.", n=MIN_PASSWORD), "password"
        )


def authenticate(phone: str, password: str) -> User | None:
    user = db.session.scalar(select(User).where(User.phone == normalise_phone(phone)))
    if (
        user is None
        or not user.active
        or not check_password_hash(user.password_hash, password or "")
    ):
        return None
    return user


def find_usable_invite(code: str) -> Invite:
    invite = db.session.scalar(select(Invite).where(Invite.code == normalise_code(code)))
    if invite is None or not invite.usable:
        raise DomainError(
            _(
                "This invite code is not valid or was already used. Please check the slip or ask your committee."
            ),
            "code",
        )
    return invite


def claim_invite(user: User, code: str, relation: str) -> Residency:
    """Link `user` to the invite's unit. An owner claim is confirmed at once only when the phone
    matches the owner's number on the register; otherwise the committee must confirm it."""
    if relation not in {r.value for r in Relation}:
        raise DomainError(_("Please choose how you relate to this home."), "relation")
    invite = find_usable_invite(code)
    # Claim the code atomically: two sign-ups racing for one slip cannot both win.
    claimed = db.session.execute(
        update(Invite)
        .where(Invite.id == invite.id, Invite.used_at.is_(None), Invite.revoked_at.is_(None))
        .values(used_at=utcnow(), used_by_id=user.id)
    ).rowcount
    if claimed != 1:
        raise DomainError(
            _(
                "This invite code is not valid or was already used. Please check the slip or ask your committee."
            ),
            "code",
        )
    unit = db.session.get(Unit, invite.unit_id)
    existing = db.session.scalar(
        select(Residency).where(
            Residency.user_id == user.id,
            Residency.unit_id == unit.id,
            Residency.status != ResidencyStatus.REVOKED,
        )
    )
    if existing is not None:
        raise DomainError(_("Your account is already linked to this home."), "code")
    status = ResidencyStatus.ACTIVE
    if relation == Relation.OWNER and normalise_phone(unit.owner.phone) != user.phone:
        status = ResidencyStatus.PENDING
    link = Residency(
        user_id=user.id,
        unit_id=unit.id,
        community_id=unit.community_id,
        relation=relation,
        status=status,
        invite_id=invite.id,
    )
    db.session.add(link)
    db.session.flush()
    if status == ResidencyStatus.PENDING:
        community = db.session.get(Community, unit.community_id)
        notify.send(
            notify.staff_user_ids(unit.community_id, Role.COMMITTEE),
            notify.N_("An owner link waits for your confirmation: %(unit)s"),
            link=url_for("committee.residents", code=community.code, status="pending"),
            community_id=unit.community_id,
            params={"unit": unit.label()},
        )
    return link


def sign_up(phone: str, password: str, code: str, relation: str, name: str = "") -> User:
    phone = normalise_phone(phone)
    if not valid_phone(phone):
        raise DomainError(_("Please enter an 11-digit mobile number."), "phone")
    check_password_rules(password)
    if db.session.scalar(select(User.id).where(User.phone == phone)):
        raise DomainError(
            _(
                "This number already has an account. Please log in, then add your home with the code under “Me”."
            ),
            "phone",
        )
    find_usable_invite(code)  # report a bad code before creating anything
    user = User(
        phone=phone,
        name=(name or "").strip()[:100],
        password_hash=hash_password(password),
        privacy_accepted_at=utcnow(),
    )
    db.session.add(user)
    db.session.flush()
    claim_invite(user, code, relation)
    return user


def change_password(user: User, current: str, new: str) -> None:
    if not check_password_hash(user.password_hash, current or ""):
        raise DomainError(_("The current password is not right."), "current")
    check_password_rules(new)
    user.password_hash = hash_password(new)
    user.session_version += 1  # log out every other session of this account


def create_user(
    phone: str,
    password: str,
    name: str = "",
    role: str | None = None,
    community: Community | None = None,
    title: str = "",
    actor: Any = None,
) -> User:
    """Staff accounts (committee, property, city): by the city role or the CLI."""
    phone = normalise_phone(phone)
    if not valid_phone(phone):
        raise DomainError(_("Please enter an 11-digit mobile number."), "phone")
    check_password_rules(password)
    user = db.session.scalar(select(User).where(User.phone == phone))
    if user is None:
        user = User(
            phone=phone,
            name=name.strip()[:100],
            password_hash=hash_password(password),
            privacy_accepted_at=utcnow(),
        )
        db.session.add(user)
        db.session.flush()
    if role:
        add_membership(user, role, community, title=title, actor=actor)
    audit.record(
        actor,
        "user.create",
        community_id=community.id if community else None,
        target=user,
        role=role or "",
    )
    return user


def add_membership(
    user: User, role: str, community: Community | None, *, title: str = "", actor: Any = None
) -> Membership:
    if role not in {r.value for r in Role}:
        raise DomainError(_("Unknown role."), "role")
    if role != Role.CITY and community is None:
        raise DomainError(_("Committee and property staff belong to one community."), "community")
    community_id = None if role == Role.CITY else community.id
    existing = db.session.scalar(
        select(Membership).where(
            Membership.user_id == user.id,
            Membership.role == role,
            Membership.community_id.is_(community_id)
            if community_id is None
            else Membership.community_id == community_id,
        )
    )
    if existing:
        return existing
    m = Membership(user_id=user.id, role=role, community_id=community_id, title=title)
    db.session.add(m)
    db.session.flush()
    audit.record(
        actor, "membership.add", community_id=community_id, target=m, user=user.id, role=role
    )
    return m


def _fresh_codes(n: int) -> list[str]:
    """n new codes unused anywhere: 31^8 ≈ 8.5e11 codes make clashes rare, so check only the
    candidates (not every code in a city's database) and redraw the few that clash."""
    codes: dict[str, None] = {}  # ordered: codes are handed out in the order drawn
    while len(codes) < n:
        batch = list(
            dict.fromkeys(c for c in (new_code() for _ in range(n - len(codes))) if c not in codes)
        )
        taken: set[str] = set()
        for start in range(0, len(batch), 5000):
            chunk = batch[start : start + 5000]
            taken |= set(db.session.scalars(select(Invite.code).where(Invite.code.in_(chunk))))
        codes.update((c, None) for c in batch if c not in taken)
    return list(codes)


def create_invites(
    actor: Any,
    community: Community,
    unit_ids: list[int] | None = None,
    *,
    only_missing: bool = True,
) -> list[Invite]:
    """Issue one code per unit (all units, or those given). With only_missing, units that
    already have a usable code keep it, so printing twice does not invalidate slips."""
    units = select(Unit.id).where(Unit.community_id == community.id)
    if unit_ids is not None:
        units = units.where(Unit.id.in_(unit_ids))
    wanted = list(db.session.scalars(units.order_by(Unit.id)))
    if only_missing:
        have = set(
            db.session.scalars(
                select(Invite.unit_id).where(
                    Invite.community_id == community.id,
                    Invite.used_at.is_(None),
                    Invite.revoked_at.is_(None),
                )
            )
        )
        wanted = [u for u in wanted if u not in have]
    codes = _fresh_codes(len(wanted))
    invites = [
        Invite(
            code=code,
            unit_id=unit_id,
            community_id=community.id,
            created_by_id=getattr(actor, "id", None),
        )
        for unit_id, code in zip(wanted, codes, strict=True)
    ]
    db.session.add_all(invites)
    db.session.flush()
    if invites:
        audit.record(actor, "invite.create", community_id=community.id, count=len(invites))
    return invites


def revoke_invite(actor: Any, invite: Invite) -> None:
    if invite.used_at is not None:
        raise DomainError(_("This code was already used; remove the account link instead."))
    if invite.revoked_at is None:
        invite.revoked_at = utcnow()
        audit.record(actor, "invite.revoke", community_id=invite.community_id, target=invite)


def reset_password(actor: Any, community: Community, user: User) -> str:
    """The committee resets a resident's forgotten password: a new one-time password, to hand
    over in person, is returned once (never stored in clear); every session of the account is
    logged out. Only for accounts linked to a home in this community, never for staff."""
    linked = db.session.scalar(
        select(Residency.id).where(
            Residency.user_id == user.id,
            Residency.community_id == community.id,
            Residency.status != ResidencyStatus.REVOKED,
        )
    )
    if linked is None or db.session.scalar(
        select(Membership.id).where(Membership.user_id == user.id)
    ):
        raise DomainError(_("Only the password of a resident of this community can be reset here."))
    temporary = "".join(secrets.choice(CODE_ALPHABET.lower() + "23456789") for _ in range(10))
    user.password_hash = hash_password(temporary)
    user.session_version += 1
    audit.record(actor, "user.password_reset", community_id=community.id, target=user)
    notify.send([user.id], notify.N_("Your password was reset by the committee."), params={})
    return temporary


def decide_residency(actor: Any, link: Residency, *, confirm: bool, reason: str = "") -> None:
    """Confirm a pending owner claim, or revoke any link (with a reason)."""
    if confirm:
        if link.status != ResidencyStatus.PENDING:
            raise DomainError(_("Only a waiting link can be confirmed."))
        link.status = ResidencyStatus.ACTIVE
        action = "residency.confirm"
        title = notify.N_("Your link to %(unit)s is confirmed.")
    else:
        if link.status == ResidencyStatus.REVOKED:
            raise DomainError(_("This link is already removed."))
        if not reason.strip():
            raise DomainError(_("Please give a reason."), "reason")
        link.status = ResidencyStatus.REVOKED
        link.revoke_reason = reason.strip()[:200]
        action = "residency.revoke"
        title = notify.N_("Your link to %(unit)s was removed by the committee.")
    link.decided_at = utcnow()
    link.decided_by_id = getattr(actor, "id", None)
    audit.record(actor, action, community_id=link.community_id, target=link, reason=reason)
    notify.send(
        [link.user_id],
        title,
        reason,
        community_id=link.community_id,
        params={"unit": link.unit.label()},
    )


# ---------------------------------------------------------------------------------------------
# Invite slips: what the committee's invite pages read (summary, list, print sheets) and the
# one-unit reissue. Reads return whole lists or one Select, never a query per row.

INVITE_STATUSES = ("usable", "used", "revoked")


@dataclass(frozen=True)
class BuildingInvites:
    name: str
    units: int
    covered: int  # units with at least one usable code

    @property
    def missing(self) -> int:
        return self.units - self.covered


@dataclass(frozen=True)
class InviteSummary:
    units: int
    covered: int
    used: int
    revoked: int
    buildings: list[BuildingInvites]

    @property
    def missing(self) -> int:
        return self.units - self.covered


def _usable() -> ColumnElement[bool]:
    return and_(Invite.used_at.is_(None), Invite.revoked_at.is_(None))


def invite_summary(community: Community) -> InviteSummary:
    """Counts for the invite page, per building and in total, in two queries."""
    covered_units = (
        select(Invite.unit_id)
        .where(Invite.community_id == community.id, _usable())
        .distinct()
        .subquery()
    )
    rows = db.session.execute(
        select(Building.name, func.count(Unit.id), func.count(covered_units.c.unit_id))
        .join(Entrance, Entrance.building_id == Building.id)
        .join(Unit, Unit.entrance_id == Entrance.id)
        .outerjoin(covered_units, covered_units.c.unit_id == Unit.id)
        .where(Building.community_id == community.id)
        .group_by(Building.id, Building.name, Building.sort_key)
        .order_by(Building.sort_key, Building.name)
    ).all()
    buildings = [BuildingInvites(name, units, covered) for name, units, covered in rows]
    used, revoked = db.session.execute(
        select(func.count(Invite.used_at), func.count(Invite.revoked_at)).where(
            Invite.community_id == community.id
        )
    ).one()
    return InviteSummary(
        units=sum(b.units for b in buildings),
        covered=sum(b.covered for b in buildings),
        used=used,
        revoked=revoked,
        buildings=buildings,
    )


def _invites_with_units(community: Community) -> Select[tuple[Invite]]:
    """Invites of the community joined to unit, entrance and building (loaded with them, so
    unit.label() costs no query), in register order."""
    return (
        select(Invite)
        .join(Invite.unit)
        .join(Unit.entrance)
        .join(Entrance.building)
        .where(Invite.community_id == community.id)
        .options(
            contains_eager(Invite.unit)
            .contains_eager(Unit.entrance)
            .contains_eager(Entrance.building)
        )
        .order_by(
            Building.sort_key,
            Building.name,
            Entrance.sort_key,
            Entrance.name,
            Unit.sort_key,
            Unit.room,
            Invite.id,
        )
    )


def _search_clause(search: str) -> ColumnElement[bool] | None:
    """A unit label (3-2-501), a room (501) or a code or part of one (ABCD-EFGH, abcd)."""
    parts = [p for p in re.split(r"[\s\-]+", search.strip()) if p]
    if not parts:
        return None
    if len(parts) == 3:
        return and_(Building.name == parts[0], Entrance.name == parts[1], Unit.room == parts[2])
    clauses: list[ColumnElement[bool]] = [Unit.room == search.strip()]
    code = normalise_code(search)
    if code and set(code) <= set(CODE_ALPHABET):
        clauses.append(Invite.code.contains(code, autoescape=True))
    return or_(*clauses)


def invites_query(
    community: Community, *, building: str = "", status: str = "", search: str = ""
) -> Select[tuple[Invite]]:
    """The committee's list of codes, filtered by building name, status and a search term."""
    query = _invites_with_units(community)
    if building:
        query = query.where(Building.name == building)
    if status == "usable":
        query = query.where(_usable())
    elif status == "used":
        query = query.where(Invite.used_at.is_not(None))
    elif status == "revoked":
        query = query.where(Invite.revoked_at.is_not(None))
    clause = _search_clause(search)
    if clause is not None:
        query = query.where(clause)
    return query


def slips_to_print(
    community: Community,
    building: str = "",
    *,
    every_code: bool = False,
    invite_id: int | None = None,
) -> tuple[list[Invite], int]:
    """Usable codes to print, and how many units of the building have none.

    By default one slip per unit of the building, with its newest usable code: the sheet the
    committee delivers door to door. With `every_code`, every usable code, so extra codes issued
    for family members or tenants get their slips too. With `invite_id`, that one code only.
    Used and revoked codes are never printed: a slip must work when it arrives."""
    query = _invites_with_units(community).where(_usable())
    if invite_id is not None:
        return list(db.session.scalars(query.where(Invite.id == invite_id))), 0
    query = query.where(Building.name == building)
    invites = list(db.session.scalars(query))
    if not every_code:
        newest: dict[int, Invite] = {}
        for invite in invites:  # ordered by unit then id: the last one per unit wins
            newest[invite.unit_id] = invite
        invites = list(newest.values())
    units = db.session.scalar(
        select(func.count(Unit.id))
        .join(Unit.entrance)
        .join(Entrance.building)
        .where(Building.community_id == community.id, Building.name == building)
    )
    return invites, (units or 0) - len({i.unit_id for i in invites})


def issue_invite(actor: Any, community: Community, unit_id: int) -> Invite:
    """Another code for one unit (a family member or tenant), beside any code it already has."""
    if not db.session.scalar(
        select(Unit.id).where(Unit.id == unit_id, Unit.community_id == community.id)
    ):
        raise DomainError(_("This home is not in the register of this community."))
    (invite,) = create_invites(actor, community, [unit_id], only_missing=False)
    return invite
