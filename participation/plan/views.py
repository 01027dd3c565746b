"""Menu pages: the community's renovation menu grouped by category (every member), and the
committee's forms to edit, add, hide and show items. Every form posts, then redirects; errors
are shown next to their field."""

from __future__ import annotations

from decimal import Decimal

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from ..core import permissions
from ..core.context import load_community
from ..core.errors import DomainError
from ..core.forms import ConfirmForm, show_domain_error
from ..core.models import Community
from ..core.timeutil import parse_wall, utcnow
from ..extensions import db
from . import permissions as _permissions  # noqa: F401  (registers the menu.* actions)
from . import services, survey
from .forms import BASIS_LABELS, CATEGORY_LABELS, ItemForm
from .menu_data import BASIC, CATEGORIES
from .models import MenuItem

bp = Blueprint("plan", __name__, url_prefix="/c/<code>/plan")


def _ensure(comm: Community) -> None:
    """Give the community its copy of the default menu the first time the menu is opened."""
    try:
        if services.ensure_menu(comm, current_user if current_user.is_authenticated else None):
            db.session.commit()
    except IntegrityError:  # another request copied it at the same moment
        db.session.rollback()


def _item(comm: Community, item_id: int) -> MenuItem:
    item = db.session.get(MenuItem, item_id)
    if item is None or item.community_id != comm.id:
        abort(404)
    return item


def _values(form: ItemForm) -> dict:
    return {name: getattr(form, name).data for name in services.EDITABLE_FIELDS}


@bp.get("/menu")
def menu(code: str):
    comm = load_community(code)
    permissions.require(current_user, "menu.view", comm)
    _ensure(comm)
    editor = permissions.can(current_user, "menu.edit", comm)
    return render_template(
        "plan/menu.html",
        sections=services.menu_sections(comm, include_hidden=editor),
        editor=editor,
        lang=str(get_locale()),
        categories=CATEGORY_LABELS,
        bases=BASIS_LABELS,
        confirm=ConfirmForm(),
    )


@bp.route("/menu/new", methods=["GET", "POST"])
def new(code: str):
    comm = load_community(code)
    permissions.require(current_user, "menu.edit", comm)
    form = ItemForm()
    if request.method == "GET":
        form.category.data = "improvement"
    if form.validate_on_submit():
        try:
            item = services.add_item(current_user, comm, **_values(form))
            db.session.commit()
        except DomainError as err:
            db.session.rollback()
            show_domain_error(form, err, "name_zh")
        else:
            flash(_("The item was added to the menu."), "success")
            return redirect(url_for("plan.menu", code=code, _anchor=f"item-{item.id}"))
    return render_template("plan/item_form.html", form=form, item=None)


@bp.route("/menu/<int:item_id>/edit", methods=["GET", "POST"])
def edit(code: str, item_id: int):
    comm = load_community(code)
    permissions.require(current_user, "menu.edit", comm)
    item = _item(comm, item_id)
    form = ItemForm(obj=item)
    if request.method == "GET":
        form.cost_amount.data = "" if item.cost_amount is None else f"{item.cost_amount:.2f}"
    if form.validate_on_submit():
        try:
            changed = services.update_item(current_user, item, **_values(form))
            db.session.commit()
        except DomainError as err:
            db.session.rollback()
            show_domain_error(form, err, "name_zh")
        else:
            if changed:
                flash(_("The item was saved."), "success")
            return redirect(url_for("plan.menu", code=code, _anchor=f"item-{item.id}"))
    return render_template("plan/item_form.html", form=form, item=item)


def _toggle(code: str, item_id: int, change, done: str):
    comm = load_community(code)
    permissions.require(current_user, "menu.edit", comm)
    item = _item(comm, item_id)
    try:
        change(current_user, item)
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        flash(err.message, "error")
    else:
        flash(done, "success")
    return redirect(url_for("plan.menu", code=code, _anchor=f"item-{item.id}"))


@bp.post("/menu/<int:item_id>/hide")
def hide(code: str, item_id: int):
    return _toggle(code, item_id, services.hide_item, _("The item is hidden from residents."))


@bp.post("/menu/<int:item_id>/show")
def show(code: str, item_id: int):
    return _toggle(code, item_id, services.show_item, _("The item is shown to residents again."))


# ---------------------------------------------------------------------------------------------
# The household survey


def _survey_post(comm: Community, round_):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    action = request.form.get("action", "")
    if action in ("open", "close"):
        permissions.require(current_user, "survey.manage", comm)
    try:
        if action == "open":
            closes_at = parse_wall(request.form.get("closes_at", ""))
            survey.open_round(current_user, comm, closes_at, request.form.get("max_picks"))
            done = _("The survey is open. Residents can now choose.")
        elif action == "close":
            if round_ is None:
                abort(404)
            survey.close_round(current_user, round_)
            done = _("The survey is closed. The results are shown to residents.")
        elif action == "save":
            if round_ is None:
                abort(404)
            try:
                survey.set_picks(
                    current_user,
                    round_,
                    request.form.get("unit_id"),
                    request.form.getlist("items"),
                )
            except DomainError as err:
                # Shown on the page again with the household's ticks kept, nothing saved.
                db.session.rollback()
                return _render_survey(comm, round_, submitted=request.form, error=err), 422
            done = _("Your choices were saved. You can change them until the survey closes.")
        else:
            abort(400)
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        flash(err.message, "error")
    else:
        flash(done, "success")
    return redirect(url_for("plan.survey", code=comm.code))


@bp.route("/survey", methods=["GET", "POST"], endpoint="survey")
def survey_page(code: str):
    comm = load_community(code)
    permissions.require(current_user, "survey.view", comm)
    round_ = survey.current_round(comm)
    if request.method == "POST":
        return _survey_post(comm, round_)
    _ensure(comm)
    return _render_survey(comm, round_)


def _render_survey(comm: Community, round_, *, submitted=None, error=None):
    """The survey page; after a refused answer, `submitted` (the form) keeps the household's
    ticks on the page and `error` is shown above them."""
    from .plans import community_totals, item_share_estimate

    manager = permissions.can(current_user, "survey.manage", comm)
    now = utcnow()
    is_open = round_ is not None and round_.is_open(now)
    items = survey.pickable_items(comm) if is_open else []
    units_count, area = community_totals(comm.id) if is_open else (0, 0)
    homes = []
    for unit in survey.homes_of(current_user, comm) if is_open else []:
        picked = survey.picks_of(round_, unit.id)
        if submitted is not None and submitted.get("unit_id") == str(unit.id):
            picked = {int(i) for i in submitted.getlist("items") if str(i).isdigit()}
        estimates = {i.id: item_share_estimate(i, units_count, area, unit.area) for i in items}
        saved = survey.picks_of(round_, unit.id)
        mine = sum((estimates[i] or 0 for i in saved if i in estimates), Decimal("0.00"))
        homes.append((unit, picked, estimates, mine))
    return render_template(
        "plan/survey.html",
        round=round_,
        is_open=is_open,
        manager=manager,
        sections=[(c, [i for i in items if i.category == c]) for c in CATEGORIES if c != BASIC],
        homes=homes,
        error=error,
        error_unit=submitted.get("unit_id") if submitted is not None else None,
        turnout=survey.turnout(round_) if round_ is not None else None,
        results=survey.results(round_) if round_ is not None and not is_open else None,
        lang=str(get_locale()),
        categories=CATEGORY_LABELS,
        confirm=ConfirmForm(),
    )


# The plan pages register their routes on this blueprint (and the step 2 gate with them).
from . import views_plan as _views_plan  # noqa: E402, F401
