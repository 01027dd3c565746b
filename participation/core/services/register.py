"""Register use cases: create a community; plan (dry run) and apply a household register import.

The import loads the community's whole register in four queries, diffs it against the sheet in
memory and writes with bulk statements, so a 2,000-unit sheet costs a dozen queries, not
thousands. Units are matched by building + entrance + room and owners by their key, so importing
the same sheet again changes nothing and an edited sheet updates in place. Units missing from the
sheet are reported, never deleted: they may carry ballots and accounts. The caller commits.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import insert, select, update

from ...extensions import db
from .. import audit
from ..errors import DomainError
from ..models import Building, Community, Entrance, Owner, Unit
from ..register_import import (
    DEVELOPER_KEY,
    OwnerSpec,
    ParsedSheet,
    RowError,
    SheetRow,
    collect_owners,
    natural_key,
    sheet_from_rows,
)
from .community import ensure_project

CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")


@dataclass(frozen=True)
class UnitChange:
    """A unit the sheet changes: its area, its owner, or both."""

    row: int
    label: str
    area_before: Decimal
    area_after: Decimal
    owner_before: str  # "name (key)" as the committee knows them
    owner_after: str

    @property
    def area_changed(self) -> bool:
        return self.area_before != self.area_after

    @property
    def owner_changed(self) -> bool:
        return self.owner_before != self.owner_after


@dataclass(frozen=True)
class OwnerChange:
    row: int
    key: str
    name_before: str
    name_after: str
    phone_before: str
    phone_after: str
    developer_before: bool
    developer_after: bool


@dataclass
class ImportPlan:
    """What an import does (dry run) or did (applied)."""

    rows: int = 0  # data rows in the sheet, good or bad
    good_rows: int = 0  # rows without any error
    errors: list[RowError] = field(default_factory=list)
    buildings_new: list[str] = field(default_factory=list)
    entrances_new: list[str] = field(default_factory=list)  # "building-entrance"
    units_new: list[str] = field(default_factory=list)  # labels
    owners_new: list[str] = field(default_factory=list)  # keys
    owners_changed: list[OwnerChange] = field(default_factory=list)
    units_changed: list[UnitChange] = field(default_factory=list)
    units_unchanged: int = 0
    units_missing: list[str] = field(default_factory=list)  # in the register, not in the sheet
    applied: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def bad_rows(self) -> int:
        return len({e.row for e in self.errors})

    @property
    def has_changes(self) -> bool:
        return bool(
            self.buildings_new
            or self.entrances_new
            or self.units_new
            or self.owners_new
            or self.owners_changed
            or self.units_changed
        )

    def counts(self) -> dict[str, int]:
        return {
            "rows": self.rows,
            "bad_rows": self.bad_rows,
            "buildings_new": len(self.buildings_new),
            "entrances_new": len(self.entrances_new),
            "units_new": len(self.units_new),
            "owners_new": len(self.owners_new),
            "owners_changed": len(self.owners_changed),
            "units_changed": len(self.units_changed),
            "units_unchanged": self.units_unchanged,
            "units_missing": len(self.units_missing),
        }


class ImportRefused(DomainError):
    """The sheet has bad rows: nothing was written. `plan` lists them."""

    def __init__(self, message: str, plan: ImportPlan) -> None:
        super().__init__(message)
        self.plan = plan


@dataclass
class _Writes:
    """The statements an apply runs, prepared by the diff, with the ids the register has."""

    owner_ids: dict[str, int] = field(default_factory=dict)
    building_ids: dict[str, int] = field(default_factory=dict)
    entrance_ids: dict[tuple[str, str], int] = field(default_factory=dict)
    owners_new: list[dict[str, Any]] = field(default_factory=list)
    owners_update: list[dict[str, Any]] = field(default_factory=list)
    buildings_new: list[dict[str, Any]] = field(default_factory=list)
    buildings_update: list[dict[str, Any]] = field(default_factory=list)
    entrances_new: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    entrances_update: list[dict[str, Any]] = field(default_factory=list)
    units_new: list[tuple[tuple[str, str], str, dict[str, Any]]] = field(default_factory=list)
    units_update: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


def create_community(
    actor: Any,
    code: str,
    name: str,
    name_en: str = "",
    district: str = "",
    address: str = "",
) -> Community:
    code, name = (code or "").strip(), (name or "").strip()
    if not CODE_RE.match(code):
        raise DomainError(
            _("The community code may use letters, digits, - and _ (at most 32)."), "code"
        )
    if not name:
        raise DomainError(_("Please enter the community's name."), "name")
    if db.session.scalar(select(Community.id).where(Community.code == code)):
        raise DomainError(
            _("A community with the code %(code)s already exists.", code=code), "code"
        )
    community = Community(
        code=code,
        name=name[:100],
        name_en=(name_en or "").strip()[:100],
        district=(district or "").strip()[:100],
        address=(address or "").strip()[:200],
    )
    db.session.add(community)
    db.session.flush()
    ensure_project(community)
    audit.record(actor, "community.create", community_id=community.id, target=community, code=code)
    return community


def plan_import(community: Community, rows: ParsedSheet | Sequence[SheetRow]) -> ImportPlan:
    """The dry run: what importing `rows` would change. Reads only."""
    return _diff(community, _as_sheet(rows))[0]


def apply_import(
    actor: Any, community: Community, rows: ParsedSheet | Sequence[SheetRow]
) -> ImportPlan:
    """Import the sheet in the caller's transaction. Refuses (ImportRefused) and writes nothing
    when any row is bad."""
    sheet = _as_sheet(rows)
    plan, writes = _diff(community, sheet)
    if not plan.ok:
        raise ImportRefused(
            ngettext(
                "Nothing was imported: %(num)d row of the sheet has errors. Please correct it and upload the sheet again.",
                "Nothing was imported: %(num)d rows of the sheet have errors. Please correct them and upload the sheet again.",
                plan.bad_rows,
            ),
            plan,
        )
    _write(writes)
    plan.applied = True
    audit.record(actor, "register.import", community_id=community.id, **plan.counts())
    return plan


def _as_sheet(rows: ParsedSheet | Sequence[SheetRow]) -> ParsedSheet:
    return rows if isinstance(rows, ParsedSheet) else sheet_from_rows(list(rows))


def _owner_label(name: str, key: str) -> str:
    return f"{name} ({key})" if name else key


def _diff(community: Community, sheet: ParsedSheet) -> tuple[ImportPlan, _Writes]:
    plan = ImportPlan(rows=sheet.data_rows, errors=list(sheet.errors))
    cid = community.id

    # The whole register in four queries, as plain tuples (no ORM objects to track).
    buildings = {
        name: (id_, key)
        for id_, name, key in db.session.execute(
            select(Building.id, Building.name, Building.sort_key).where(
                Building.community_id == cid
            )
        )
    }
    building_names = {id_: name for name, (id_, _k) in buildings.items()}
    entrances = {
        (building_names[b_id], name): (id_, key)
        for id_, b_id, name, key in db.session.execute(
            select(Entrance.id, Entrance.building_id, Entrance.name, Entrance.sort_key)
            .join(Building, Entrance.building_id == Building.id)
            .where(Building.community_id == cid)
        )
    }
    entrance_names = {id_: ekey for ekey, (id_, _k) in entrances.items()}
    owners = {
        key: (id_, name, phone, developer)
        for id_, key, name, phone, developer in db.session.execute(
            select(Owner.id, Owner.key, Owner.name, Owner.phone, Owner.is_developer).where(
                Owner.community_id == cid
            )
        )
    }
    owner_by_id = {o[0]: (key, o[1]) for key, o in owners.items()}
    units = {
        (*entrance_names[e_id], room): (id_, area, owner_id, key)
        for id_, e_id, room, area, owner_id, key in db.session.execute(
            select(
                Unit.id, Unit.entrance_id, Unit.room, Unit.area, Unit.owner_id, Unit.sort_key
            ).where(Unit.community_id == cid)
        )
    }

    writes = _Writes(
        owner_ids={key: o[0] for key, o in owners.items()},
        building_ids={name: b[0] for name, b in buildings.items()},
        entrance_ids={ekey: e[0] for ekey, e in entrances.items()},
    )

    rows, sheet_owners = sheet.rows, sheet.owners
    if "owner_key" not in sheet.columns and units:
        rows, sheet_owners = _keep_owners(rows, units, owners, owner_by_id, plan.errors)

    # All developer units share one owner: keep the one the register already has.
    developer_key = DEVELOPER_KEY
    if DEVELOPER_KEY not in owners:
        developer_key = next((k for k, o in owners.items() if o[3]), DEVELOPER_KEY)

    def owner_key(key: str) -> str:
        return developer_key if key == DEVELOPER_KEY else key

    # Owners: an optional column absent from the sheet leaves that field as the register has it.
    owner_after: dict[str, str] = {}  # key -> label after the import
    for spec in sheet_owners.values():
        key = owner_key(spec.key)
        current = owners.get(key)
        name = spec.name if "owner_name" in sheet.columns or current is None else current[1]
        phone = spec.phone if "phone" in sheet.columns or current is None else current[2]
        owner_after[key] = _owner_label(name, key)
        values = {"name": name, "phone": phone, "is_developer": spec.is_developer}
        if current is None:
            plan.owners_new.append(key)
            writes.owners_new.append({"community_id": cid, "key": key, **values})
        elif (current[1], current[2], current[3]) != (name, phone, spec.is_developer):
            plan.owners_changed.append(
                OwnerChange(
                    row=spec.rows[0],
                    key=key,
                    name_before=current[1],
                    name_after=name,
                    phone_before=current[2],
                    phone_after=phone,
                    developer_before=current[3],
                    developer_after=spec.is_developer,
                )
            )
            writes.owners_update.append({"id": current[0], **values})

    seen_buildings: set[str] = set()
    seen_entrances: set[tuple[str, str]] = set()
    for row in rows:
        b_name, e_name = row.building, row.entrance
        if b_name not in seen_buildings:
            seen_buildings.add(b_name)
            b_key = natural_key(b_name)
            if b_name not in buildings:
                plan.buildings_new.append(b_name)
                writes.buildings_new.append(
                    {"community_id": cid, "name": b_name, "sort_key": b_key}
                )
            elif buildings[b_name][1] != b_key:
                writes.buildings_update.append({"id": buildings[b_name][0], "sort_key": b_key})
        if (b_name, e_name) not in seen_entrances:
            seen_entrances.add((b_name, e_name))
            e_key = natural_key(e_name)
            current_e = entrances.get((b_name, e_name))
            if current_e is None:
                plan.entrances_new.append(f"{b_name}-{e_name}")
                writes.entrances_new.append((b_name, {"name": e_name, "sort_key": e_key}))
            elif current_e[1] != e_key:
                writes.entrances_update.append({"id": current_e[0], "sort_key": e_key})

        o_key = owner_key(row.owner_key)
        u_key = natural_key(row.room)
        current_u = units.get(row.unit_key)
        if current_u is None:
            plan.units_new.append(row.label)
            writes.units_new.append(
                (
                    (b_name, e_name),
                    o_key,
                    {"community_id": cid, "room": row.room, "sort_key": u_key, "area": row.area},
                )
            )
            continue
        unit_id, area, owner_id, sort_key = current_u
        key_before, name_before = owner_by_id[owner_id]
        if area != row.area or key_before != o_key:
            plan.units_changed.append(
                UnitChange(
                    row=row.row,
                    label=row.label,
                    area_before=area,
                    area_after=row.area,
                    owner_before=_owner_label(name_before, key_before),
                    owner_after=owner_after[o_key],
                )
            )
            writes.units_update.append(
                (o_key, {"id": unit_id, "area": row.area, "sort_key": u_key})
            )
        else:
            plan.units_unchanged += 1
            if sort_key != u_key:
                # A sort key from older data: fixed quietly, it changes no fact of the register.
                writes.units_update.append(
                    (o_key, {"id": unit_id, "area": area, "sort_key": u_key})
                )

    plan.good_rows = len({row.row for row in rows} - {e.row for e in plan.errors})
    in_sheet = {row.unit_key for row in rows}
    plan.units_missing = [
        "-".join(k)
        for k in sorted(
            (k for k in units if k not in in_sheet),
            key=lambda k: tuple(natural_key(part) for part in k),
        )
    ]
    return plan, writes


def _keep_owners(
    rows: list[SheetRow],
    units: dict[tuple[str, str, str], tuple],
    owners: dict[str, tuple],
    owner_by_id: dict[int, tuple[str, str]],
    errors: list[RowError],
) -> tuple[list[SheetRow], dict[str, OwnerSpec]]:
    """Without an owner-number column a sheet says nothing about who holds what: units already
    in the register keep their owner (a sheet of areas must not split a three-unit owner into
    three heads); its names and phones, if any, apply to that owner. New units get their own."""
    kept = []
    for row in rows:
        current = units.get(row.unit_key)
        if current is not None and not row.is_developer:
            key = owner_by_id[current[2]][0]
            developer = owners[key][3]
            row = replace(
                row, owner_key=DEVELOPER_KEY if developer else key, is_developer=developer
            )
        kept.append(row)
    return kept, collect_owners(kept, errors)


def _write(w: _Writes) -> None:
    """Bulk statements, parents first; ids of new rows come back through RETURNING."""
    session = db.session
    owner_ids, building_ids, entrance_ids = w.owner_ids, w.building_ids, w.entrance_ids
    if w.owners_new:
        for id_, key in session.execute(
            insert(Owner).returning(Owner.id, Owner.key),
            w.owners_new,
        ):
            owner_ids[key] = id_
    if w.owners_update:
        session.execute(update(Owner), w.owners_update)
    if w.buildings_new:
        for id_, name in session.execute(
            insert(Building).returning(Building.id, Building.name),
            w.buildings_new,
        ):
            building_ids[name] = id_
    if w.buildings_update:
        session.execute(update(Building), w.buildings_update)
    if w.entrances_new:
        names = {building_ids[b]: b for b, _v in w.entrances_new}
        for id_, b_id, name in session.execute(
            insert(Entrance).returning(Entrance.id, Entrance.building_id, Entrance.name),
            [{"building_id": building_ids[b], **values} for b, values in w.entrances_new],
        ):
            entrance_ids[(names[b_id], name)] = id_
    if w.entrances_update:
        session.execute(update(Entrance), w.entrances_update)
    if w.units_new:
        session.execute(
            insert(Unit),
            [
                {"entrance_id": entrance_ids[e], "owner_id": owner_ids[o], **values}
                for e, o, values in w.units_new
            ],
        )
    if w.units_update:
        session.execute(
            update(Unit), [{"owner_id": owner_ids[o], **values} for o, values in w.units_update]
        )
