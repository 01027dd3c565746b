"""Invite slips: the committee issues one-time sign-up codes per unit, prints them on A4 sheets
of slips with QR codes, issues extra codes for family members or tenants, and revokes codes."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from ...extensions import db
from .. import permissions
from ..context import load_community
from ..errors import DomainError
from ..forms import ConfirmForm
from ..models import Community, Invite, Unit
from ..qr import qr_svg
from ..services import accounts

bp = Blueprint("invites", __name__, url_prefix="/c/<code>/invites")

SLIPS_PER_SHEET = 8  # 2 columns × 4 rows on A4, matching static/css/slips.css
FILTER_ARGS = ("building", "status", "q", "page")


def _filters() -> dict[str, str]:
    """The list's filters from the query string, carried through forms and redirects so the
    committee stays where it was after each action."""
    out = {k: request.args.get(k, "").strip() for k in FILTER_ARGS}
    if out["status"] not in accounts.INVITE_STATUSES:
        out["status"] = ""
    return {k: v for k, v in out.items() if v}


def _back(comm: Community):
    return redirect(url_for("invites.index", code=comm.code, **_filters()))


def _load(code: str) -> Community:
    comm = load_community(code)
    permissions.require(current_user, "invite.manage", comm)
    return comm


def _require_form() -> None:
    # The bare form validates the CSRF token (CSRFProtect also does, unless exempted).
    if not ConfirmForm().validate_on_submit():
        abort(400)


def signup_url(code: str) -> str:
    """The absolute sign-up address with the code prefilled, as printed in the QR code. Behind
    a proxy the request host may be internal, so PUBLIC_BASE_URL wins when set."""
    base = current_app.config.get("PUBLIC_BASE_URL", "").rstrip("/")
    if base:
        return base + url_for("auth.signup", code=code)
    return url_for("auth.signup", code=code, _external=True)


def _short_address() -> str:
    """The sign-up address without scheme or code, for residents who type it in."""
    url = urlsplit(signup_url("X"))
    return url.netloc + url.path


@bp.get("/")
def index(code: str):
    comm = _load(code)
    filters = _filters()
    summary = accounts.invite_summary(comm)
    page = db.paginate(
        accounts.invites_query(
            comm,
            building=filters.get("building", ""),
            status=filters.get("status", ""),
            search=filters.get("q", ""),
        ),
        page=max(request.args.get("page", 1, type=int), 1),
        per_page=50,
        error_out=False,
    )
    return render_template(
        "invites/index.html",
        summary=summary,
        page=page,
        filters=filters,
        list_filters={k: v for k, v in filters.items() if k != "page"},
        form=ConfirmForm(),
        format_code=accounts.format_code,
    )


@bp.post("/issue")
def issue(code: str):
    comm = _load(code)
    _require_form()
    invites = accounts.create_invites(current_user, comm)
    db.session.commit()
    if invites:
        flash(
            ngettext(
                "Issued %(num)d new code. Print the slips of each building below.",
                "Issued %(num)d new codes. Print the slips of each building below.",
                len(invites),
            ),
            "success",
        )
    else:
        flash(_("Every unit already has a usable code; nothing was changed."), "success")
    return _back(comm)


@bp.post("/unit/<int:unit_id>")
def issue_one(code: str, unit_id: int):
    comm = _load(code)
    _require_form()
    if db.session.scalar(select(Unit.community_id).where(Unit.id == unit_id)) != comm.id:
        abort(404)  # another community's home: like every object URL, not found here
    try:
        invite = accounts.issue_invite(current_user, comm, unit_id)
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        flash(err.message, "error")
        return _back(comm)
    label = invite.unit.label()
    flash(
        _(
            "New code %(code)s for %(unit)s. Its earlier codes still work until used or revoked.",
            code=accounts.format_code(invite.code),
            unit=label,
        ),
        "success",
    )
    # Show the new code's row, with its print link.
    return redirect(url_for("invites.index", code=comm.code, q=invite.code, status="usable"))


@bp.post("/<int:invite_id>/revoke")
def revoke(code: str, invite_id: int):
    comm = _load(code)
    _require_form()
    invite = db.session.get(Invite, invite_id)
    if invite is None or invite.community_id != comm.id:
        abort(404)
    try:
        accounts.revoke_invite(current_user, invite)
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        flash(err.message, "error")
    else:
        flash(
            _(
                "The code %(code)s for %(unit)s no longer works.",
                code=accounts.format_code(invite.code),
                unit=invite.unit.label(),
            ),
            "success",
        )
    return _back(comm)


@bp.get("/print")
def print_slips(code: str):
    comm = _load(code)
    building = request.args.get("building", "").strip()
    invite_id = request.args.get("invite", type=int)
    if invite_id is not None and not 0 < invite_id < 2**31:
        invite_id = 0  # no such code (and no integer overflow in the database driver)
    if not building and invite_id is None:
        flash(_("Choose a building to print its slips."), "error")
        return redirect(url_for("invites.index", code=comm.code))
    invites, missing = accounts.slips_to_print(
        comm,
        building,
        every_code=request.args.get("status") == "usable",
        invite_id=invite_id,
    )
    slips = []
    for invite in invites:
        url = signup_url(invite.code)
        slips.append(
            {
                "unit": invite.unit.label(),
                "code": accounts.format_code(invite.code),
                "url": url,
                "qr": qr_svg(url),
            }
        )
    sheets = [slips[i : i + SLIPS_PER_SHEET] for i in range(0, len(slips), SLIPS_PER_SHEET)]
    return render_template(
        "invites/print.html",
        sheets=sheets,
        count=len(slips),
        missing=missing,
        building=building,
        address=_short_address(),
    )
