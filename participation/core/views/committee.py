"""Committee pages: resident accounts, the project's steps, the audit log."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ...extensions import db
from .. import permissions
from ..context import load_community
from ..errors import DomainError
from ..forms import ConfirmForm
from ..models import AuditEntry, Entrance, Residency, ResidencyStatus, Unit, User
from ..services import accounts
from ..services import community as community_service
from ..web import STEP_NAMES

bp = Blueprint("committee", __name__, url_prefix="/c/<code>")


@bp.get("/residents")
def residents(code: str):
    comm = load_community(code)
    permissions.require(current_user, "residency.manage", comm)
    status = request.args.get("status", "")
    query = (
        select(Residency)
        .where(Residency.community_id == comm.id)
        .options(
            joinedload(Residency.user),
            joinedload(Residency.unit).joinedload(Unit.entrance).joinedload(Entrance.building),
        )
        .order_by(Residency.status.desc(), Residency.created_at.desc(), Residency.id.desc())
    )
    if status in {s.value for s in ResidencyStatus}:
        query = query.where(Residency.status == status)
    page = db.paginate(
        query, page=max(request.args.get("page", 1, type=int), 1), per_page=50, error_out=False
    )
    return render_template("committee/residents.html", page=page, status=status, form=ConfirmForm())


@bp.post("/residents/<int:link_id>")
def decide(code: str, link_id: int):
    comm = load_community(code)
    permissions.require(current_user, "residency.manage", comm)
    link = db.session.get(Residency, link_id)
    if link is None or link.community_id != comm.id:
        abort(404)
    try:
        accounts.decide_residency(
            current_user,
            link,
            confirm=request.form.get("action") == "confirm",
            reason=request.form.get("reason", ""),
        )
        db.session.commit()
        flash(_("Saved."), "success")
    except DomainError as err:
        db.session.rollback()
        flash(err.message, "error")
    return redirect(
        url_for("committee.residents", code=code, status=request.args.get("status", ""))
    )


@bp.post("/residents/<int:link_id>/password")
def reset_password(code: str, link_id: int):
    comm = load_community(code)
    permissions.require(current_user, "residency.manage", comm)
    link = db.session.get(Residency, link_id)
    if link is None or link.community_id != comm.id:
        abort(404)
    try:
        temporary = accounts.reset_password(current_user, comm, link.user)
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        flash(err.message, "error")
        return redirect(url_for("committee.residents", code=code))
    # Shown once, on this page only: the committee hands it over in person.
    return render_template("committee/password_reset.html", link=link, temporary=temporary)


@bp.route("/project", methods=["GET", "POST"])
def project(code: str):
    comm = load_community(code)
    permissions.require(current_user, "project.advance", comm)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            step = community_service.advance_step(current_user, comm)
            db.session.commit()
            flash(
                _("Step %(n)s, %(name)s, is now open.", n=step.position, name=STEP_NAMES[step.key])
                if step
                else _("All five steps are done."),
                "success",
            )
        except DomainError as err:
            db.session.rollback()
            flash(err.message, "error")
        return redirect(url_for("committee.project", code=code))
    overview = community_service.overview(comm)
    return render_template("committee/project.html", overview=overview, form=form)


@bp.get("/audit")
def audit(code: str):
    comm = load_community(code)
    permissions.require(current_user, "audit.view", comm)
    page = db.paginate(
        select(AuditEntry).where(AuditEntry.community_id == comm.id).order_by(AuditEntry.id.desc()),
        page=max(request.args.get("page", 1, type=int), 1),
        per_page=50,
        error_out=False,
    )
    actors = {
        u.id: u
        for u in db.session.scalars(
            select(User).where(User.id.in_({e.actor_id for e in page.items if e.actor_id}))
        )
    }
    return render_template("committee/audit.html", page=page, actors=actors)
