"""Home, community pages, notice board, inbox, preferences, health and favicon."""

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
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy import func, select, text

from ...extensions import csrf, db
from .. import notify, permissions
from ..cache import cached_section, roles_key
from ..context import communities_of, load_community
from ..forms import ConfirmForm, NoticeForm, PrefsForm
from ..htmx import render_page
from ..models import Message, Notice, Residency, ResidencyStatus
from ..pagecache import cached_page
from ..services import community as community_service
from ..timeutil import utcnow
from ..web import ELDER_COOKIE, LANG_COOKIE, ONE_YEAR

bp = Blueprint("main", __name__)


def safe_next(target: str | None, fallback: str) -> str:
    """Only same-site paths, so a crafted link cannot send residents elsewhere."""
    if not target:
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return fallback
    return target


@bp.get("/healthz")
def healthz():
    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}


@bp.get("/favicon.ico")
def favicon():
    files = current_app.extensions["gongjian_static"]
    entry = files.get("favicon.ico")
    if entry is None:
        abort(404)
    # Browsers ask for /favicon.ico by name, so it cannot be fingerprinted: a week's caching.
    return files.response(entry, max_age=7 * 24 * 3600)


@bp.post("/prefs")
def prefs():
    form = PrefsForm()
    # A preference cookie is harmless to set without a token, and elderly residents who left a
    # page open for hours must not be refused; the form still carries one.
    response = redirect(
        safe_next(
            form.next.data or request.referrer and urlsplit(request.referrer).path,
            url_for("main.home"),
        )
    )
    if form.lang.data in ("zh_Hans", "en"):
        response.set_cookie(
            LANG_COOKIE,
            form.lang.data,
            max_age=ONE_YEAR,
            samesite="Lax",
            secure=current_app.config.get("HTTPS", False),
            httponly=True,
        )
    if form.elder.data in ("0", "1"):
        response.set_cookie(
            ELDER_COOKIE,
            form.elder.data,
            max_age=ONE_YEAR,
            samesite="Lax",
            secure=current_app.config.get("HTTPS", False),
            httponly=True,
        )
    return response


csrf.exempt(prefs)


@bp.get("/")
def home():
    if not current_user.is_authenticated:
        return render_template("core/welcome.html")
    linked = communities_of(current_user)
    # A link still waiting for the committee gives no access yet: list it, don't open it.
    communities = [c for c in linked if permissions.can(current_user, "community.view", c)]
    if len(communities) == 1 and not permissions.can(current_user, "city.overview"):
        return redirect(url_for("main.community", code=communities[0].code))
    pending = db.session.scalar(
        select(func.count(Residency.id)).where(
            Residency.user_id == current_user.id, Residency.status == ResidencyStatus.PENDING
        )
    )
    return render_template("core/choose_community.html", communities=communities, pending=pending)


@bp.get("/c/<code>/")
def community(code: str):
    comm = load_community(code)
    permissions.require(current_user, "community.view", comm)

    def build() -> Markup:
        overview = community_service.overview(comm)
        return Markup(render_template("core/_community_body.html", overview=overview))

    # The same for everyone with the same roles here (what the page links to depends on them).
    roles = roles_key(permissions.roles_for(current_user, comm.id))
    return cached_page(
        comm,
        "core.home",
        lambda: render_template(
            "core/community.html", body=cached_section(comm, "core.home", build, roles)
        ),
    )


@bp.get("/c/<code>/notices")
def notices(code: str):
    comm = load_community(code)
    permissions.require(current_user, "notice.read", comm)
    page = request.args.get("page", 1, type=int)
    items = db.paginate(
        select(Notice)
        .where(Notice.community_id == comm.id)
        .order_by(Notice.pinned.desc(), Notice.created_at.desc(), Notice.id.desc()),
        page=max(page, 1),
        per_page=20,
        error_out=False,
    )
    return render_page("core/notices.html", "core/_notice_items.html", items=items)


@bp.get("/c/<code>/notices/<int:notice_id>")
def notice(code: str, notice_id: int):
    comm = load_community(code)
    permissions.require(current_user, "notice.read", comm)
    item = db.session.get(Notice, notice_id)
    if item is None or item.community_id != comm.id:
        abort(404)
    return render_template("core/notice.html", item=item)


@bp.route("/c/<code>/notices/new", methods=["GET", "POST"])
def notice_new(code: str):
    comm = load_community(code)
    permissions.require(current_user, "notice.post", comm)
    form = NoticeForm()
    if form.validate_on_submit():
        item = community_service.post_notice(
            current_user, comm, form.title.data, form.body.data, pinned=form.pinned.data
        )
        db.session.commit()
        flash(_("The notice is posted and residents were told in their inbox."), "success")
        return redirect(url_for("main.notice", code=code, notice_id=item.id))
    return render_template("core/notice_form.html", form=form), 400 if form.errors else 200


@bp.get("/inbox")
@login_required
def inbox():
    page = request.args.get("page", 1, type=int)
    items = db.paginate(
        select(Message)
        .where(Message.user_id == current_user.id)
        .order_by(Message.created_at.desc(), Message.id.desc()),
        page=max(page, 1),
        per_page=20,
        error_out=False,
    )
    return render_page("core/inbox.html", "core/_inbox_items.html", items=items, form=ConfirmForm())


@bp.get("/inbox/<int:message_id>")
@login_required
def message(message_id: int):
    item = db.session.get(Message, message_id)
    if item is None or item.user_id != current_user.id:
        abort(404)
    if item.read_at is None:
        item.read_at = utcnow()
        db.session.commit()
        notify.forget_unread()
    return render_template("core/message.html", item=item)


@bp.post("/inbox/read-all")
@login_required
def read_all():
    db.session.execute(
        Message.__table__.update()
        .where(Message.user_id == current_user.id, Message.read_at.is_(None))
        .values(read_at=utcnow())
    )
    db.session.commit()
    notify.forget_unread()
    return redirect(url_for("main.inbox"))


@bp.get("/me")
@login_required
def me():
    links = db.session.scalars(
        select(Residency).where(Residency.user_id == current_user.id).order_by(Residency.id)
    ).all()
    return render_template("core/me.html", links=links, communities=communities_of(current_user))


@bp.get("/privacy")
def privacy():
    return render_template("core/privacy.html")
