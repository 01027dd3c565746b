"""Idea pages: the list (by support or newest, or one's own), an idea with its photos, the
resident's form to post or edit, one-tap support, reporting, and the committee's moderation and
promotion into the renovation menu. Every form works without JavaScript (post, then redirect);
with htmx, support toggles in place from the same fragment the pages include."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..core import permissions
from ..core.context import load_community
from ..core.errors import DomainError
from ..core.forms import ConfirmForm, show_domain_error
from ..core.htmx import is_htmx, render_page
from ..core.models import Community
from ..core.uploads import UploadError, delete_stored, send_upload
from ..extensions import db, limiter
from ..plan import services as menu_services
from ..plan.forms import BASIS_LABELS, CATEGORY_LABELS, ItemForm
from . import permissions as _permissions  # noqa: F401  (registers the idea.* actions)
from . import services
from .forms import REASON_LABELS, HideForm, IdeaForm, ReportForm, SupportForm
from .models import Idea, IdeaPhoto

bp = Blueprint("ideas", __name__, url_prefix="/c/<code>/ideas")

PER_PAGE = 20


def _user_key() -> str:
    return f"user:{current_user.get_id()}" if current_user.is_authenticated else request.remote_addr


# Burst guards per account in front of the services' own rules (counted in SQL).
_post_limit = limiter.limit("20 per minute", methods=["POST"], key_func=_user_key)
_support_limit = limiter.limit("120 per minute", methods=["POST"], key_func=_user_key)


def _idea(comm: Community, idea_id: int) -> Idea:
    idea = db.session.get(Idea, idea_id)
    if idea is None or idea.community_id != comm.id:
        abort(404)
    return idea


def _load(code: str, idea_id: int, action: str = "idea.read") -> tuple[Community, Idea]:
    comm = load_community(code)
    idea = _idea(comm, idea_id)
    permissions.require(current_user, "idea.read", comm, idea)
    if action != "idea.read":
        permissions.require(current_user, action, comm, idea)
    return comm, idea


def _sort() -> str:
    sort = request.values.get("sort", "support")
    return sort if sort in services.SORTS else "support"


# ---------------------------------------------------------------------------------------------
# The list and one idea


@bp.get("")
def index(code: str):
    comm = load_community(code)
    permissions.require(current_user, "idea.read", comm)
    mine = request.args.get("mine") == "1" and current_user.is_authenticated
    sort = _sort()
    items = db.paginate(
        services.list_query(comm, sort=sort, author=current_user if mine else None),
        page=max(request.args.get("page", 1, type=int), 1),
        per_page=PER_PAGE,
        error_out=False,
    )
    ids = [i.id for i in items.items]
    return render_page(
        "ideas/index.html",
        "ideas/_items.html",
        items=items,
        sort=sort,
        mine=mine,
        supported=services.supported_ids(current_user, ids),
        support_form=SupportForm(),
        moderator=permissions.can(current_user, "idea.moderate", comm),
        reasons=REASON_LABELS,
    )


@bp.get("/<int:idea_id>")
def detail(code: str, idea_id: int):
    comm, idea = _load(code, idea_id)
    return render_template(
        "ideas/detail.html",
        idea=idea,
        photos=services.photos_of(idea),
        supported=services.supported_ids(current_user, [idea.id]),
        reported=services.reported_ids(current_user, [idea.id]),
        support_form=SupportForm(),
        confirm=ConfirmForm(),
        moderator=permissions.can(current_user, "idea.moderate", comm),
        reasons=REASON_LABELS,
        lang=str(get_locale()),
        back="detail",
    )


@bp.get("/<int:idea_id>/photos/<int:photo_id>")
@bp.get("/<int:idea_id>/photos/<int:photo_id>/<any(thumb, small):size>")
def photo(code: str, idea_id: int, photo_id: int, size: str = "full"):
    comm, idea = _load(code, idea_id)
    item = db.session.get(IdeaPhoto, photo_id)
    if item is None or item.idea_id != idea.id:
        abort(404)
    if idea.hidden and not permissions.can(current_user, "idea.moderate", comm):
        abort(404)  # a hidden idea's photos are for the committee only
    return send_upload(item.name, item.thumb, size)


# ---------------------------------------------------------------------------------------------
# Posting and editing


def _building_choices(comm: Community) -> list[tuple[str, str]]:
    label = _l("Building %(name)s")
    return [(str(b.id), str(label % {"name": b.name})) for b in services.buildings_of(comm)] + [
        ("", _("Not a building / the whole community"))
    ]


def _idea_form(comm: Community, idea: Idea | None):
    form = IdeaForm(obj=idea)
    form.building.choices = _building_choices(comm)
    if request.method == "GET":
        form.building.data = str(idea.building_id or "") if idea is not None else ""
    if form.validate_on_submit():
        added: list[IdeaPhoto] = []
        files = request.files.getlist(form.photos.name)
        try:
            if idea is None:
                idea = services.create_idea(
                    current_user,
                    comm,
                    form.title.data,
                    form.body.data,
                    building=form.building.data,
                    place=form.place.data,
                    photos=files,
                )
                added = list(idea.photos)
            else:
                added = services.update_idea(
                    current_user,
                    idea,
                    form.title.data,
                    form.body.data,
                    building=form.building.data,
                    place=form.place.data,
                    photos=files,
                )
            db.session.commit()
        except DomainError as err:
            db.session.rollback()
            delete_stored(services.stored_names(added))
            show_domain_error(form, err, "photos" if isinstance(err, UploadError) else "body")
        except Exception:
            db.session.rollback()
            delete_stored(services.stored_names(added))
            raise
        else:
            flash(
                _("Your idea is posted. Neighbours can now support it.")
                if request.endpoint == "ideas.new"
                else _("Your changes are saved."),
                "success",
            )
            return redirect(url_for("ideas.detail", code=comm.code, idea_id=idea.id))
    photos = services.photos_of(idea) if idea is not None else []
    return render_template(
        "ideas/form.html",
        form=form,
        idea=idea,
        photos=photos,
        confirm=ConfirmForm(),
        max_photos=services.MAX_PHOTOS,
        max_mb=services.config("IDEA_PHOTO_MAX_BYTES") // (1024 * 1024),
    ), 400 if form.errors else 200


@bp.route("/new", methods=["GET", "POST"])
@_post_limit
def new(code: str):
    comm = load_community(code)
    permissions.require(current_user, "idea.create", comm)
    return _idea_form(comm, None)


@bp.route("/<int:idea_id>/edit", methods=["GET", "POST"])
@_post_limit
def edit(code: str, idea_id: int):
    comm, idea = _load(code, idea_id, "idea.edit")
    return _idea_form(comm, idea)


@bp.post("/<int:idea_id>/photos/<int:photo_id>/delete")
def remove_photo(code: str, idea_id: int, photo_id: int):
    comm, idea = _load(code, idea_id, "idea.edit")
    item = db.session.get(IdeaPhoto, photo_id)
    if item is None or item.idea_id != idea.id:
        abort(404)
    try:
        names = services.remove_photo(current_user, idea, item)
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        flash(err.message, "error")
    else:
        delete_stored(names)
        flash(_("The photo is removed."), "success")
    return redirect(url_for("ideas.edit", code=comm.code, idea_id=idea.id))


@bp.route("/<int:idea_id>/withdraw", methods=["GET", "POST"])
def withdraw(code: str, idea_id: int):
    """A page of its own asks first (withdrawing cannot be undone; no pop-ups), then posts."""
    comm, idea = _load(code, idea_id, "idea.withdraw")
    form = ConfirmForm()
    if not form.validate_on_submit():
        return render_template("ideas/withdraw.html", idea=idea, confirm=form)
    try:
        services.withdraw_idea(current_user, idea)
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        flash(err.message, "error")
    else:
        flash(_("Your idea is withdrawn. Only you and the committee still see it."), "success")
    return redirect(url_for("ideas.detail", code=comm.code, idea_id=idea.id))


# ---------------------------------------------------------------------------------------------
# Support: one tap


@bp.post("/<int:idea_id>/support")
@_support_limit
def support(code: str, idea_id: int):
    comm = load_community(code)
    idea = _idea(comm, idea_id)
    permissions.require(current_user, "idea.read", comm, idea)
    form = SupportForm()
    error = None
    if not form.validate_on_submit():
        abort(400)
    try:
        if form.do.data == "remove":
            services.unsupport(current_user, idea)
        else:
            services.support(current_user, idea)
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        error = err.message
    back = request.form.get("back", "list")
    if is_htmx():
        return render_template(
            "ideas/_support.html",
            idea=idea,
            supported=services.supported_ids(current_user, [idea.id]),
            support_form=SupportForm(formdata=None),
            back=back,
            sort=_sort(),
            error=error,
            announce=True,
        )
    if error:
        flash(error, "error")
    if back == "detail":
        return redirect(url_for("ideas.detail", code=comm.code, idea_id=idea.id))
    return redirect(url_for("ideas.index", code=comm.code, sort=_sort(), _anchor=f"idea-{idea.id}"))


# ---------------------------------------------------------------------------------------------
# Reporting and moderation (consult's forms and wording)


def _back(comm: Community, idea: Idea) -> str:
    return url_for("ideas.detail", code=comm.code, idea_id=idea.id)


@bp.route("/<int:idea_id>/report", methods=["GET", "POST"])
def report(code: str, idea_id: int):
    comm, idea = _load(code, idea_id, "idea.report")
    form = ReportForm()
    if form.validate_on_submit():
        try:
            services.report_idea(current_user, idea, form.reason.data)
            db.session.commit()
        except DomainError as err:
            db.session.rollback()
            if err.field:
                show_domain_error(form, err, "reason")
            else:
                flash(err.message, "error")
                return redirect(_back(comm, idea))
        else:
            flash(_("Thank you. The committee will look at this idea."), "success")
            return redirect(_back(comm, idea))
    return render_template("ideas/report.html", idea=idea, form=form), 400 if form.errors else 200


@bp.route("/<int:idea_id>/hide", methods=["GET", "POST"])
def hide(code: str, idea_id: int):
    comm, idea = _load(code, idea_id, "idea.moderate")
    form = HideForm()
    if form.validate_on_submit():
        try:
            services.hide_idea(current_user, idea, form.reason_code.data, form.text.data)
            db.session.commit()
        except DomainError as err:
            db.session.rollback()
            if err.field:
                show_domain_error(form, err, "reason_code")
            else:
                flash(err.message, "error")
                return redirect(_back(comm, idea))
        else:
            flash(_("The idea is hidden. Everybody sees the reason in its place."), "success")
            return redirect(_back(comm, idea))
    return render_template("ideas/hide.html", idea=idea, form=form), 400 if form.errors else 200


@bp.post("/<int:idea_id>/restore")
def restore(code: str, idea_id: int):
    comm, idea = _load(code, idea_id, "idea.moderate")
    try:
        services.restore_idea(current_user, idea)
        db.session.commit()
        flash(_("The idea is shown again."), "success")
    except DomainError as err:
        db.session.rollback()
        flash(err.message, "error")
    return redirect(_back(comm, idea))


# ---------------------------------------------------------------------------------------------
# Into the renovation menu


@bp.route("/<int:idea_id>/promote", methods=["GET", "POST"])
def promote(code: str, idea_id: int):
    comm, idea = _load(code, idea_id, "idea.promote")
    form = ItemForm(data=services.menu_prefill(idea) if request.method == "GET" else None)
    if form.validate_on_submit():
        values = {name: getattr(form, name).data for name in menu_services.EDITABLE_FIELDS}
        try:
            services.promote_idea(current_user, idea, **values)
            db.session.commit()
        except DomainError as err:
            db.session.rollback()
            show_domain_error(form, err, "name_zh")
        else:
            flash(_("The idea is on the renovation menu now. Its author was told."), "success")
            return redirect(url_for("ideas.detail", code=comm.code, idea_id=idea.id))
    return render_template(
        "ideas/promote.html",
        idea=idea,
        form=form,
        categories=CATEGORY_LABELS,
        bases=BASIS_LABELS,
    ), 400 if form.errors else 200
