"""Step 5 pages: the results board (and its A4 print), acceptance ratings, before/after photos,
the committee's exports and the city dashboard. Thin: load, check permission, call the service,
render."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select

from ..core import permissions
from ..core.cache import cached_section, valid_until
from ..core.context import load_community
from ..core.errors import DomainError
from ..core.forms import ConfirmForm, show_domain_error
from ..core.models import Community
from ..core.pagecache import cached_page
from ..core.qr import qr_svg
from ..core.timeutil import aware, parse_wall, utcnow
from ..core.uploads import delete_stored, send_upload
from ..core.web import STEP_NAMES
from ..extensions import db
from ..plan.survey import homes_of
from ..voting.models import Vote, VoteStatus
from . import exports, photos, ratings, summary
from . import permissions as _permissions  # noqa: F401  (registers the actions)
from .board import build_board
from .forms import PhotoPairForm
from .models import PhotoPair

bp = Blueprint("share", __name__, cli_group=None)  # its CLI command is top-level


@bp.cli.command("share-refresh")
def share_refresh_command() -> None:
    """Recompute the city dashboard's summary of every community (run from cron)."""
    import click

    count = summary.refresh()
    db.session.commit()
    click.echo(f"city summary: {count} communities")


def _public_url(endpoint: str, **values) -> str:
    base = current_app.config.get("PUBLIC_BASE_URL")
    if base:
        return base.rstrip("/") + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


def step_label(step: int) -> str:
    if step == 0:
        return _("Not started")
    if step > 5:
        return _("Complete")
    key = ("consult", "plan", "pledge", "build", "share")[step - 1]
    return f"{step} · {STEP_NAMES[key]}"


# ---------------------------------------------------------------------------------------------
# The results board


def _source_labels() -> dict:
    from . import providers

    mod = providers.module("plan")
    return dict(getattr(mod, "SOURCE_LABELS", {}) or {})


@dataclass(frozen=True)
class BoardSection:
    """The board's sections as HTML (the same for every member: no link or form in them
    depends on the reader) and when its rating round is open."""

    body: Markup
    rating_opens: datetime | None = None
    rating_ends: datetime | None = None

    def rating_open(self) -> bool:
        if self.rating_opens is None or self.rating_ends is None:
            return False
        return self.rating_opens <= utcnow() < self.rating_ends


def board_section(comm: Community, *, printing: bool = False) -> BoardSection:
    """The rendered board of the community, cached until its data changes (core/cache.py)."""

    def build() -> BoardSection:
        b = build_board(comm)
        opens = ends = None
        if b.rating is not None:
            opens, ends = aware(b.rating.round.opens_at), aware(b.rating.round.ends_at)
            # "The rating is open until …" appears and goes at these times.
            valid_until(opens)
            valid_until(ends)
        body = render_template(
            "share/_board_body.html",
            b=b,
            lang=str(get_locale()),
            printing=printing,
            source_labels=_source_labels(),
        )
        return BoardSection(Markup(body), opens, ends)

    return cached_section(comm, "share.board", build, printing)


@bp.get("/c/<code>/board")
def board(code: str):
    comm = load_community(code)
    permissions.require(current_user, "board.view", comm)
    # The same for everyone with the same roles (core/pagecache.py).
    return cached_page(
        comm,
        "share.board",
        lambda: render_template("share/board.html", board=board_section(comm)),
    )


@bp.get("/c/<code>/board/print")
def board_print(code: str):
    comm = load_community(code)
    permissions.require(current_user, "board.view", comm)
    url = _public_url("share.board", code=code)
    return render_template(
        "share/board_print.html",
        board=board_section(comm, printing=True),
        url=url,
        qr=qr_svg(url),
        today=utcnow(),
    )


def _photo(code: str, pair_id: int) -> tuple[Community, PhotoPair]:
    comm = load_community(code)
    pair = db.session.get(PhotoPair, pair_id)
    if pair is None or pair.community_id != comm.id:
        abort(404)
    return comm, pair


@bp.get("/c/<code>/board/photos/<int:pair_id>/<any(before, after):which>")
@bp.get("/c/<code>/board/photos/<int:pair_id>/<any(before, after):which>/<any(thumb, small):size>")
def photo(code: str, pair_id: int, which: str, size: str = "full"):
    comm, pair = _photo(code, pair_id)
    permissions.require(current_user, "board.view", comm)
    return send_upload(getattr(pair, f"{which}_name"), getattr(pair, f"{which}_thumb"), size)


@bp.route("/c/<code>/board/photos", methods=["GET", "POST"])
def photos_page(code: str):
    comm = load_community(code)
    permissions.require(current_user, "photos.manage", comm)
    form = PhotoPairForm()
    if form.validate_on_submit():
        try:
            photos.add_pair(
                current_user, comm, form.caption.data, form.before.data, form.after.data
            )
            db.session.commit()
        except DomainError as err:
            db.session.rollback()
            show_domain_error(form, err, "before")
        else:
            flash(_("The photos are on the results board."), "success")
            return redirect(url_for("share.photos_page", code=code))
    pairs = db.session.scalars(
        select(PhotoPair)
        .where(PhotoPair.community_id == comm.id)
        .order_by(PhotoPair.position, PhotoPair.id)
    ).all()
    status = 400 if form.errors else 200
    return render_template(
        "share/photos.html", form=form, pairs=pairs, confirm=ConfirmForm()
    ), status


@bp.post("/c/<code>/board/photos/<int:pair_id>/delete")
def photo_delete(code: str, pair_id: int):
    comm, pair = _photo(code, pair_id)
    permissions.require(current_user, "photos.manage", comm)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    files = photos.remove_pair(current_user, pair)
    db.session.commit()
    delete_stored(files)
    flash(_("The photos were removed from the board."), "success")
    return redirect(url_for("share.photos_page", code=code))


# ---------------------------------------------------------------------------------------------
# Acceptance ratings


def _ratings_post(comm: Community, round_):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    action = request.form.get("action", "")
    if action in ("open", "close"):
        permissions.require(current_user, "rating.manage", comm)
    elif action == "save":
        permissions.require(current_user, "rating.rate", comm)
    else:
        abort(400)
    try:
        if action == "open":
            ratings.open_round(current_user, comm, parse_wall(request.form.get("closes_at")))
            done = _("The rating is open. Residents were told in their inbox.")
        elif action == "close":
            if round_ is None:
                abort(404)
            ratings.close_round(current_user, round_)
            done = _("The rating is closed. The results are on the board.")
        else:
            if round_ is None:
                abort(404)
            scores = {
                key.removeprefix("item-"): value
                for key, value in request.form.items()
                if key.startswith("item-")
            }
            notes = {
                key.removeprefix("comment-"): value
                for key, value in request.form.items()
                if key.startswith("comment-")
            }
            ratings.save_rating(
                current_user,
                round_,
                request.form.get("unit_id"),
                request.form.get("overall"),
                scores,
                notes,
                request.form.get("overall_comment", ""),
                locale=str(get_locale()),
            )
            done = _("Thank you. Your rating was saved; you can change it until the rating closes.")
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        if action == "save":
            return _ratings_render(comm, round_, error=err, status=400)
        flash(err.message, "error")
        return redirect(url_for("share.ratings_page", code=comm.code))
    flash(done, "success")
    if action == "save":
        return redirect(url_for("share.board", code=comm.code, _anchor="satisfaction"))
    return redirect(url_for("share.ratings_page", code=comm.code))


def _ratings_render(comm: Community, round_, *, error: DomainError | None = None, status=200):
    now = utcnow()
    is_open = round_ is not None and round_.is_open(now)
    homes = []
    if is_open and permissions.can(current_user, "rating.rate", comm):
        for unit in homes_of(current_user, comm):
            rating, scores = ratings.rating_of(round_, unit.id)
            homes.append((unit, rating, scores))
    form = request.form if error is not None else None
    return render_template(
        "share/ratings.html",
        round=round_,
        is_open=is_open,
        manager=permissions.can(current_user, "rating.manage", comm),
        homes=homes,
        results=ratings.results(round_) if round_ is not None else None,
        lang=str(get_locale()),
        confirm=ConfirmForm(),
        error=error,
        sent=form,
    ), status


@bp.route("/c/<code>/ratings", methods=["GET", "POST"])
def ratings_page(code: str):
    comm = load_community(code)
    permissions.require(current_user, "rating.view", comm)
    round_ = ratings.current_round(comm)
    if request.method == "POST":
        return _ratings_post(comm, round_)
    return _ratings_render(comm, round_)


# ---------------------------------------------------------------------------------------------
# Exports


def _send(table: exports.Table, fmt: str, filename: str) -> Response:
    data, mime = exports.render(table, fmt)
    response = Response(data, mimetype=mime)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/c/<code>/exports")
def exports_page(code: str):
    comm = load_community(code)
    if not (
        permissions.can(current_user, "export.register", comm)
        or permissions.can(current_user, "export.records", comm)
    ):
        permissions.require(current_user, "export.register", comm)
    votes = db.session.scalars(
        select(Vote)
        .where(Vote.community_id == comm.id, Vote.status != VoteStatus.DRAFT)
        .order_by(Vote.opens_at.desc())
    ).all()
    from . import providers

    return render_template(
        "share/exports.html",
        votes=votes,
        rounds=ratings.current_round(comm),
        has_pledges=providers.module("pledge") is not None,
        has_issues=providers.module("build") is not None,
    )


@bp.get("/c/<code>/exports/<any(register, ratings, pledges, issues):kind>.<any(csv, xlsx):fmt>")
def export(code: str, kind: str, fmt: str):
    comm = load_community(code)
    locale = str(get_locale())
    if kind == "register":
        permissions.require(current_user, "export.register", comm)
        table = exports.register_table(comm)
    elif kind == "ratings":
        permissions.require(current_user, "export.records", comm)
        round_ = ratings.current_round(comm)
        if round_ is None:
            abort(404)
        table = exports.ratings_table(round_, locale)
    else:
        permissions.require(current_user, "export.archive", comm)
        from . import records

        table = (
            records.pledges_table(comm, locale)
            if kind == "pledges"
            else records.issues_table(comm, locale)
        )
        if table is None:
            abort(404)
    return _send(table, fmt, f"{comm.code}-{kind}")


@bp.get("/c/<code>/exports/ballots/<int:vote_id>.<any(csv, xlsx):fmt>")
def export_ballots(code: str, vote_id: int, fmt: str):
    comm = load_community(code)
    permissions.require(current_user, "export.ballots", comm)
    vote = db.session.get(Vote, vote_id)
    if vote is None or vote.community_id != comm.id or vote.status == VoteStatus.DRAFT:
        abort(404)
    return _send(exports.ballots_table(vote), fmt, f"{comm.code}-vote{vote.id}-ballots")


# ---------------------------------------------------------------------------------------------
# The city dashboard


# Rendered city tables by (summary time, filters, language): the table changes only when the
# summary is refreshed, so repeated views (the same filters in several tabs, paging back) cost
# one query. Per process; bounded.
_BODIES: dict[tuple, str] = {}
_BODIES_MAX = 256


def _dashboard_body(filters: summary.Filters, as_of) -> str:
    lang = str(get_locale())
    key = (as_of.isoformat(), lang, filters)
    cache = current_app.config.get("SHARE_DASHBOARD_CACHE", True)
    body = _BODIES.get(key) if cache else None
    if body is None:
        body = render_template(
            "share/_dashboard_body.html",
            filters=filters,
            items=summary.rows(filters, per_page=summary.PER_PAGE),
            totals=summary.totals(filters),
            districts=summary.districts(),
            step_label=step_label,
            lang=lang,
            board_url=url_for("share.board", code="__CODE__"),  # one url_for, not one per row
        )
        if cache:
            if len(_BODIES) >= _BODIES_MAX:
                _BODIES.clear()
            _BODIES[key] = body
    return body


@bp.get("/city/")
def dashboard():
    permissions.require(current_user, "dashboard.city")
    filters = summary.Filters.from_args(request.args)
    as_of = summary.ensure_fresh()
    return render_template(
        "share/dashboard.html",
        filters=filters,
        as_of=as_of,
        body=Markup(_dashboard_body(filters, as_of)),
        confirm=ConfirmForm(),
        # The city spans every community: the bottom navigation's "home community" would load
        # all of them (hundreds of rows) only to find there is not exactly one.
        nav_community=None,
    )


@bp.post("/city/refresh")
def dashboard_refresh():
    permissions.require(current_user, "dashboard.city")
    if not ConfirmForm().validate_on_submit():
        abort(400)
    summary.ensure_fresh(max_age=0)
    flash(_("The figures were brought up to date."), "success")
    return redirect(url_for("share.dashboard", **request.args))


@bp.get("/city/communities.<any(csv, xlsx):fmt>")
def dashboard_export(fmt: str):
    permissions.require(current_user, "dashboard.city")
    summary.ensure_fresh()
    items = summary.rows(summary.Filters.from_args(request.args))  # every page
    names = {n: step_label(n) for n in range(7)}
    return _send(exports.city_table(items, str(get_locale()), names), fmt, "communities")


# ---------------------------------------------------------------------------------------------
# Template helpers


@bp.app_template_filter("share_pct")
def share_pct(value) -> str:
    """A share (Fraction, float 0–1) as a percentage with one decimal in the reader's locale."""
    from flask_babel import format_decimal

    from .rules import to_decimal

    if value is None:
        return "—"
    from fractions import Fraction

    fr = value if isinstance(value, Fraction) else Fraction(str(value))
    return format_decimal(to_decimal(fr * 100, 1), "#,##0.0") + "%"


@bp.app_template_filter("share_int")
def share_int(value) -> str:
    """A count with thousands separators (the same in Chinese and English), cheaply: the city
    table has hundreds of cells and Babel's formatter costs ~50 µs each."""
    return f"{int(value):,}"


@bp.app_template_filter("share_width")
def share_width(value) -> str:
    """A share as an SVG width 0–100 (one decimal)."""
    from fractions import Fraction

    from .rules import to_decimal

    if value is None:
        return "0"
    fr = value if isinstance(value, Fraction) else Fraction(str(value))
    fr = max(Fraction(0), min(Fraction(1), fr))
    return str(to_decimal(fr * 100, 1))
