"""Spreadsheets for the committee's archive and subsidy claims, and the city's table: XLSX
(openpyxl, write-only) and CSV (UTF-8 with a BOM, so Excel on Chinese Windows reads it). Column
headers are in the reader's language. Each dataset is a fixed number of queries.

Personal information (PIPL): the register export masks names and phones (core.privacy); the
ballot export carries receipt codes, units, channels and choices and is for the committee only.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from ..core.models import Building, Community, Entrance, Owner, Residency, ResidencyStatus, Unit
from ..core.privacy import mask_name, mask_phone
from ..core.timeutil import aware, utc_to_wall
from ..extensions import db
from ..voting.models import Ballot, Vote, VoteElector
from . import providers
from .models import CitySummary, Rating, RatingItem, RatingRound, RatingScore

CSV_MIME = "text/csv; charset=utf-8"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class Table:
    title: str  # the sheet name
    headers: list[str]
    rows: list[Sequence[Any]]


def _cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return utc_to_wall(aware(value))
    if isinstance(value, Decimal):
        return float(value) if value == value.quantize(Decimal("0.01")) else str(value)
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value  # never a formula from user text (CSV/formula injection)
    return value


def to_xlsx(table: Table) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(table.title[:31] or "Sheet1")
    bold = Font(bold=True)
    header = []
    for text in table.headers:
        cell = WriteOnlyCell(ws, value=text)
        cell.font = bold
        header.append(cell)
    ws.append(header)
    for row in table.rows:
        values = []
        for value in row:
            value = _cell(value)
            if isinstance(value, float):
                values.append(value)
            elif isinstance(value, datetime):
                cell = WriteOnlyCell(ws, value=value)
                cell.number_format = "yyyy-mm-dd hh:mm"
                values.append(cell)
            else:
                values.append(value)
        ws.append(values)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def to_csv(table: Table) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(table.headers)
    for row in table.rows:
        cells = []
        for value in row:
            value = _cell(value)
            if isinstance(value, datetime):
                value = value.strftime("%Y-%m-%d %H:%M")
            elif isinstance(value, float):
                value = f"{Decimal(str(value)):.2f}"
            cells.append("" if value is None else value)
        writer.writerow(cells)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def render(table: Table, fmt: str) -> tuple[bytes, str]:
    if fmt == "xlsx":
        return to_xlsx(table), XLSX_MIME
    return to_csv(table), CSV_MIME


# ---------------------------------------------------------------------------------------------
# Datasets


def _labels(community_id: int) -> dict[int, str]:
    """unit id → 3-2-501 for a community, in one query."""
    rows = db.session.execute(
        select(Unit.id, Building.name, Entrance.name, Unit.room)
        .join(Entrance, Entrance.id == Unit.entrance_id)
        .join(Building, Building.id == Entrance.building_id)
        .where(Unit.community_id == community_id)
    )
    return {uid: f"{b}-{e}-{room}" for uid, b, e, room in rows}


def register_table(community: Community) -> Table:
    accounts = dict(
        db.session.execute(
            select(Residency.unit_id, func.count(Residency.id))
            .where(
                Residency.community_id == community.id,
                Residency.status == ResidencyStatus.ACTIVE,
            )
            .group_by(Residency.unit_id)
        ).all()
    )
    rows = db.session.execute(
        select(
            Building.name,
            Entrance.name,
            Unit.room,
            Unit.area,
            Unit.id,
            Owner.key,
            Owner.name,
            Owner.phone,
            Owner.is_developer,
        )
        .join(Entrance, Entrance.id == Unit.entrance_id)
        .join(Building, Building.id == Entrance.building_id)
        .join(Owner, Owner.id == Unit.owner_id)
        .where(Unit.community_id == community.id)
        .order_by(Building.sort_key, Entrance.sort_key, Unit.sort_key, Unit.id)
    ).all()
    return Table(
        _("Register"),
        [
            _("Building"),
            _("Entrance"),
            _("Room"),
            _("Area (m²)"),
            _("Owner key"),
            _("Owner (masked)"),
            _("Phone (masked)"),
            _("Developer unit"),
            _("Accounts linked"),
        ],
        [
            (
                b,
                e,
                room,
                area,
                key,
                mask_name(name),
                mask_phone(phone),
                _("yes") if dev else _("no"),
                accounts.get(uid, 0),
            )
            for b, e, room, area, uid, key, name, phone, dev in rows
        ],
    )


CHOICES = {"agree": "Agree", "disagree": "Disagree", "abstain": "Abstain"}
CHANNELS = {"online": "Online", "paper": "Paper", "proxy": "Proxy"}


def ballots_table(vote: Vote) -> Table:
    labels = _labels(vote.community_id)
    rows = db.session.execute(
        select(
            Ballot.receipt,
            VoteElector.unit_ids,
            Ballot.channel,
            Ballot.choice,
            Ballot.reference,
            Ballot.changes,
            Ballot.updated_at,
        )
        .join(
            VoteElector,
            (VoteElector.vote_id == Ballot.vote_id) & (VoteElector.owner_id == Ballot.owner_id),
        )
        .where(Ballot.vote_id == vote.id)
        .order_by(Ballot.receipt)
    ).all()
    choices = {k: _(v) for k, v in CHOICES.items()}
    channels = {k: _(v) for k, v in CHANNELS.items()}
    return Table(
        _("Ballots"),
        [
            _("Receipt"),
            _("Units"),
            _("Channel"),
            _("Choice"),
            _("Paper ballot number"),
            _("Times changed"),
            _("Last cast"),
        ],
        [
            (
                receipt,
                ", ".join(sorted(labels.get(int(u), "?") for u in (unit_ids or []))),
                channels.get(channel, channel),
                choices.get(choice, choice),
                reference,
                changes,
                at,
            )
            for receipt, unit_ids, channel, choice, reference, changes, at in rows
        ],
    )


def ratings_table(round_: RatingRound, locale: str) -> Table:
    labels = _labels(round_.community_id)
    items: list[RatingItem] = list(round_.items)
    scores: dict[int, dict[int, tuple[int, str]]] = {}
    for rating_id, item_id, score, comment in db.session.execute(
        select(RatingScore.rating_id, RatingScore.item_id, RatingScore.score, RatingScore.comment)
        .join(Rating, Rating.id == RatingScore.rating_id)
        .where(Rating.round_id == round_.id)
    ):
        scores.setdefault(rating_id, {})[item_id] = (score, comment)
    ratings = db.session.scalars(
        select(Rating).where(Rating.round_id == round_.id).order_by(Rating.unit_id)
    ).all()
    headers = [_("Unit"), _("Overall satisfaction (1–5)"), _("Comment")]
    for item in items:
        headers += [item.name(locale), _("Comment: %(item)s", item=item.name(locale))]
    headers.append(_("Last changed"))
    rows = []
    for r in sorted(ratings, key=lambda r: labels.get(r.unit_id, "")):
        row: list[Any] = [labels.get(r.unit_id, "?"), r.overall, r.comment]
        mine = scores.get(r.id, {})
        for item in items:
            score, comment = mine.get(item.id, (None, ""))
            row += [score, comment]
        row.append(r.updated_at)
        rows.append(row)
    return Table(_("Ratings"), headers, rows)


def city_table(items: Iterable[CitySummary], locale: str, step_names: dict[int, str]) -> Table:
    def pct(permille: int | None) -> Any:
        return None if permille is None else float(Decimal(permille) / 10)

    return Table(
        _("Communities"),
        [
            _("Code"),
            _("Community"),
            _("District"),
            _("Step"),
            _("Units"),
            _("Owners"),
            _("Floor area (m²)"),
            _("Willingness vote turnout (%)"),
            _("Pledged (yuan)"),
            _("Confirmed (yuan)"),
            _("Households pledging"),
            _("Overdue issues"),
            _("Ratings"),
            _("Satisfaction (1–5)"),
        ],
        [
            (
                i.code,
                i.name_en if locale == "en" and i.name_en else i.name,
                i.district,
                step_names.get(i.step, str(i.step)),
                i.units,
                i.owners,
                i.area,
                pct(i.turnout_permille),
                i.pledged,
                i.confirmed,
                i.households_pledging,
                i.overdue,
                i.ratings,
                None if i.satisfaction_x100 is None else float(Decimal(i.satisfaction_x100) / 100),
            )
            for i in items
        ],
    )


def provider_table(name: str, function: str, community: Community, locale: str) -> Table | None:
    """A table another step offers for export (pledges, issues): its public function returns
    (headers, rows) or a dict with them; None when the step is not there."""
    data = providers.call(name, function, community.id)
    if data is None:
        return None
    headers = providers.field(data, "headers", default=None)
    rows = providers.field(data, "rows", default=None)
    if headers is None and isinstance(data, tuple | list) and len(data) == 2:
        headers, rows = data
    if headers is None:
        return None
    return Table(
        str(providers.field(data, "title", default=name)),
        [str(h) for h in headers],
        list(rows or []),
    )
