"""The committee's pages for ballots that do not come from an owner's phone, on the voting
blueprint: paper ballots one at a time (with supersede when the owner already voted), a sheet
of paper ballots (upload, check, then apply: all or nothing) and proxies.

Rules stay in services.py: these views resolve what the committee typed (a home like 3-2-501,
a phone number), call the service and put its refusal next to the field it names."""

from __future__ import annotations

import re
import unicodedata

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from ..core import permissions
from ..core.errors import DomainError
from ..core.forms import show_domain_error
from ..core.models import Building, Community, Entrance, Unit, User
from ..core.privacy import mask_phone
from ..core.sheets import UnreadableSheet, detect_format
from ..core.staged import StagedSheets
from ..extensions import db
from . import services
from .forms import CHOICE_LABELS, ApplyForm, ImportForm, PaperForm, ProxyForm, RevokeForm
from .models import Ballot, Channel, ScopeKind, Vote, VoteProxy
from .views import bp, load, vote_url
from .views_committee import STATE_REFUSALS, committee_vote

# ---------------------------------------------------------------------------------------------
# Homes typed by the committee: "3-2-501", or three selects


def _clean(value: str | None) -> str:
    return unicodedata.normalize("NFKC", value or "").strip()


def split_home(text: str) -> tuple[str, str, str] | None:
    """'3-2-501', '3 2 501', '3/2/501', '3号楼2单元501' → ('3', '2', '501')."""
    text = _clean(text)
    parts = [p for p in re.split(r"[\s\-–—/／、,，]+|号楼|栋|幢|单元|室", text) if p]
    return (parts[0], parts[1], parts[2]) if len(parts) == 3 else None


def scoped_homes(comm: Community, vote: Vote) -> list[tuple[int, str, str, str]]:
    """(unit id, building, entrance, room) of every home in the vote's scope, in register
    order: one query."""
    query = (
        select(Unit.id, Building.name, Entrance.name, Unit.room)
        .join(Entrance, Entrance.id == Unit.entrance_id)
        .join(Building, Building.id == Entrance.building_id)
        .where(Unit.community_id == comm.id)
        .order_by(Building.sort_key, Building.name, Entrance.sort_key, Entrance.name, Unit.sort_key)
    )
    if vote.scope_kind == ScopeKind.BUILDINGS:
        query = query.where(Building.id.in_(vote.scope_ids))
    elif vote.scope_kind == ScopeKind.ENTRANCE:
        query = query.where(Entrance.id == vote.scope_ids[0])
    return [tuple(r) for r in db.session.execute(query)]


def find_home(homes, building: str, entrance: str, room: str) -> int | None:
    key = (services._norm(building), services._norm(entrance), services._norm(room))
    for unit_id, b, e, r in homes:
        if (services._norm(b), services._norm(e), services._norm(r)) == key:
            return unit_id
    return None


def owner_labels(owner_ids) -> dict[int, list[str]]:
    """Each owner's homes as labels (one query for the whole list)."""
    ids = sorted(set(owner_ids))
    labels: dict[int, list[str]] = {i: [] for i in ids}
    if not ids:
        return labels
    for owner_id, b, e, r in db.session.execute(
        select(Unit.owner_id, Building.name, Entrance.name, Unit.room)
        .join(Entrance, Entrance.id == Unit.entrance_id)
        .join(Building, Building.id == Entrance.building_id)
        .where(Unit.owner_id.in_(ids))
        .order_by(Building.sort_key, Entrance.sort_key, Unit.sort_key)
    ):
        labels[owner_id].append(f"{b}-{e}-{r}")
    return labels


def _distinct(values) -> list[str]:
    seen: dict[str, None] = {}
    for v in values:
        seen.setdefault(v, None)
    return list(seen)


# ---------------------------------------------------------------------------------------------
# Paper ballots, one at a time


def _paper_choices(form: PaperForm, homes) -> None:
    blank = [SelectChoice("", "—")]
    form.building.choices = blank + [SelectChoice(b) for b in _distinct(h[1] for h in homes)]
    form.entrance.choices = blank + [SelectChoice(e) for e in _distinct(h[2] for h in homes)]
    rooms = sorted(_distinct(h[3] for h in homes), key=lambda r: (len(r), r))
    form.room.choices = blank + [SelectChoice(r) for r in rooms]


def _home_of(form, homes) -> tuple[int | None, str]:
    """The unit the committee named, and its label; (None, message) when it is not found."""
    typed = (form.unit.data or "").strip()
    if typed:
        parts = split_home(typed)
        if parts is None:
            return None, _("Type the home as building-entrance-room, like 3-2-501.")
    else:
        parts = (form.building.data or "", form.entrance.data or "", form.room.data or "")
        if not all(parts):
            return None, _("Choose the building, entrance and room, or type the home like 3-2-501.")
    label = "-".join(parts)
    unit_id = find_home(homes, *parts)
    if unit_id is None:
        return None, _(
            "No home %(label)s among the homes of this vote. Check the building, entrance "
            "and room.",
            label=label,
        )
    return unit_id, label


def _recent_paper(vote: Vote) -> list[tuple]:
    rows = db.session.execute(
        select(Ballot.owner_id, Ballot.reference, Ballot.choice, Ballot.updated_at)
        .where(Ballot.vote_id == vote.id, Ballot.channel == Channel.PAPER)
        .order_by(Ballot.updated_at.desc(), Ballot.id.desc())
        .limit(10)
    ).all()
    labels = owner_labels(r.owner_id for r in rows)
    return [
        (", ".join(labels.get(r.owner_id, [])), r.reference, r.choice, r.updated_at) for r in rows
    ]


@bp.route("/<int:vote_id>/paper", methods=["GET", "POST"])
def paper(code: str, vote_id: int):
    comm, vote, refused = committee_vote(code, vote_id, "vote.enter_paper")
    if refused:
        return refused
    homes = scoped_homes(comm, vote)
    form = PaperForm()
    _paper_choices(form, homes)
    clash = None  # the owner already has a ballot: the supersede form is offered
    superseding = request.form.get("supersede") == "1"
    if form.validate_on_submit():
        unit_id, label = _home_of(form, homes)
        if unit_id is None:
            form.unit.errors.append(label)
        elif superseding and not (form.supersede_reason.data or "").strip():
            form.supersede_reason.errors.append(_("Please give a reason."))
            clash = _("This owner already has a ballot. Give the reason it is replaced.")
        else:
            try:
                services.enter_paper_ballot(
                    current_user,
                    vote,
                    form.choice.data or "",
                    form.reference.data or "",
                    unit_id=unit_id,
                    supersede_reason=(form.supersede_reason.data or "") if superseding else "",
                )
                db.session.commit()
            except DomainError as err:
                db.session.rollback()
                if err.field == "supersede_reason":
                    clash = err.message
                else:
                    show_domain_error(form, err)
            else:
                flash(
                    _(
                        "Paper ballot %(ref)s for %(home)s is recorded: %(choice)s.",
                        ref=(form.reference.data or "").strip(),
                        home=label,
                        choice=CHOICE_LABELS[form.choice.data],
                    ),
                    "success",
                )
                return redirect(url_for("voting.paper", code=comm.code, vote_id=vote.id))
    return render_template(
        "voting/paper.html",
        vote=vote,
        form=form,
        clash=clash,
        recent=_recent_paper(vote),
        tally=services.tally(vote),
    ), 400 if (form.errors or clash) else 200


# ---------------------------------------------------------------------------------------------
# Paper ballots from a sheet: upload → check (dry run) → apply

# Sheets between their dry run and "Apply", bound to this session and vote.
STAGED = StagedSheets("ballots", "ballot_uploads")


@bp.route("/<int:vote_id>/import", methods=["GET", "POST"])
def import_sheet(code: str, vote_id: int):
    _comm, vote, refused = committee_vote(code, vote_id, "vote.enter_paper")
    if refused:
        return refused
    form = ImportForm()
    if form.validate_on_submit():
        storage = form.sheet.data
        data = storage.read()
        try:
            fmt = detect_format(storage.filename or "", data)
        except UnreadableSheet as err:
            form.sheet.errors.append(str(err.reason))
        else:
            try:
                report = services.import_paper_sheet(
                    current_user, vote, storage.filename or "", data, dry_run=True
                )
            except DomainError as err:
                db.session.rollback()
                flash(err.message, "error")
                return redirect(vote_url(vote))
            db.session.rollback()  # a dry run: nothing to keep
            token = (
                STAGED.store(vote.id, data, fmt)
                if report.ok and report.rows > report.skipped
                else None
            )
            return render_template(
                "voting/import_check.html",
                vote=vote,
                report=report,
                filename=storage.filename,
                form=ApplyForm(token=token),
                token=token,
            ), 200 if report.ok else 400
    return render_template("voting/import.html", vote=vote, form=form), 400 if form.errors else 200


@bp.post("/<int:vote_id>/import/apply")
def import_apply(code: str, vote_id: int):
    comm, vote, refused = committee_vote(code, vote_id, "vote.enter_paper")
    if refused:
        return refused
    form = ApplyForm()
    if not form.validate_on_submit():
        abort(400)
    token = form.token.data or ""
    path = STAGED.stored(vote.id, token)
    if path is None:
        flash(
            _("This upload has expired or was already imported. Please upload the sheet again."),
            "error",
        )
        return redirect(url_for("voting.import_sheet", code=comm.code, vote_id=vote.id))
    try:
        report = services.import_paper_sheet(
            current_user, vote, path.name, path.read_bytes(), dry_run=False
        )
    except DomainError as err:
        db.session.rollback()
        STAGED.discard(token, path)
        flash(err.message, "error")
        return redirect(vote_url(vote))
    STAGED.discard(token, path)
    if not report.ok:
        # Something changed since the check (an owner voted meanwhile): nothing was written.
        db.session.rollback()
        return render_template(
            "voting/import_check.html",
            vote=vote,
            report=report,
            filename=None,
            form=ApplyForm(),
            token=None,
        ), 400
    db.session.commit()
    flash(
        ngettext(
            "%(num)d paper ballot is recorded; %(skipped)d rows were already recorded.",
            "%(num)d paper ballots are recorded; %(skipped)d rows were already recorded.",
            report.created,
            skipped=report.skipped,
        ),
        "success",
    )
    return redirect(vote_url(vote))


# ---------------------------------------------------------------------------------------------
# Proxies


def _phone(text: str | None) -> str:
    digits = re.sub(r"\D", "", _clean(text))
    return digits[2:] if len(digits) == 13 and digits.startswith("86") else digits


def _proxy_list(vote: Vote) -> tuple[list[VoteProxy], dict[int, list[str]]]:
    items = services.proxies(vote, include_revoked=True)
    ids = {p.proxy_user_id for p in items}
    if ids:  # loads the proxies' accounts into the session: no query per row below
        db.session.scalars(select(User).where(User.id.in_(ids))).all()
    return items, owner_labels(p.owner_id for p in items)


@bp.route("/<int:vote_id>/proxies", methods=["GET", "POST"])
def proxies(code: str, vote_id: int):
    comm, vote = load(code, vote_id)
    permissions.require(current_user, "vote.create", comm)
    may_record = permissions.can(current_user, "vote.proxy", comm, vote)
    form = ProxyForm()
    if request.method == "POST" and not may_record:
        flash(STATE_REFUSALS["vote.proxy"](), "error")
        return redirect(url_for("voting.proxies", code=comm.code, vote_id=vote.id))
    if form.validate_on_submit():
        homes = scoped_homes(comm, vote)
        parts = split_home(form.owner.data or "")
        unit_id = find_home(homes, *parts) if parts else None
        proxy_user = db.session.scalar(select(User).where(User.phone == _phone(form.proxy.data)))
        if parts is None:
            form.owner.errors.append(_("Type the home as building-entrance-room, like 3-2-501."))
        elif unit_id is None:
            form.owner.errors.append(
                _(
                    "No home %(label)s among the homes of this vote. Check the building, "
                    "entrance and room.",
                    label="-".join(parts),
                )
            )
        if proxy_user is None:
            form.proxy.errors.append(
                _(
                    "No account uses this number. The proxy signs up first, with an invite "
                    "code for a family member or tenant of their home."
                )
            )
        if not form.errors:
            owner_id = db.session.get(Unit, unit_id).owner_id
            try:
                services.record_proxy(current_user, vote, owner_id, proxy_user, form.evidence.data)
                db.session.commit()
            except DomainError as err:
                db.session.rollback()
                show_domain_error(form, err)
            else:
                flash(
                    _(
                        "Recorded: %(name)s may vote in this vote for the owner of %(home)s.",
                        name=proxy_user.name or mask_phone(proxy_user.phone),
                        home="-".join(parts),
                    ),
                    "success",
                )
                return redirect(url_for("voting.proxies", code=comm.code, vote_id=vote.id))
    items, labels = _proxy_list(vote)
    return render_template(
        "voting/proxies.html",
        vote=vote,
        form=form,
        may_record=may_record,
        items=items,
        labels=labels,
        revoke_form=RevokeForm(formdata=None),
    ), 400 if form.errors else 200


@bp.post("/<int:vote_id>/proxies/<int:proxy_id>/revoke")
def revoke_proxy(code: str, vote_id: int, proxy_id: int):
    comm, vote = load(code, vote_id)
    permissions.require(current_user, "vote.create", comm)
    item = db.session.get(VoteProxy, proxy_id)
    if item is None or item.vote_id != vote.id:
        abort(404)
    form = RevokeForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        services.revoke_proxy(current_user, item, form.reason.data or "")
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        flash(err.message, "error")
    else:
        flash(_("The proxy is revoked. A ballot it already cast stays."), "success")
    return redirect(url_for("voting.proxies", code=comm.code, vote_id=vote.id))
