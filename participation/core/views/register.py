"""The household register: the overview (committee and city) and the import of the committee's
spreadsheet: upload → dry-run preview → apply. Works without JavaScript."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager
from wtforms import HiddenField

from ...extensions import db
from .. import permissions
from ..context import load_community
from ..models import Building, Entrance, Owner, Unit
from ..register_import import (
    FIELDS,
    HEADERS_EN,
    HEADERS_ZH,
    REQUIRED,
    UnreadableSheet,
    detect_format,
    parse_file,
    template_csv,
    template_xlsx,
)
from ..services import register as register_service
from ..staged import StagedSheets

bp = Blueprint("register", __name__, url_prefix="/c/<code>/register")

PER_PAGE = 200  # units of one building per page: a tower block, not the whole community
SHOW_ERRORS = 1000  # the preview lists at most this many row errors (the CLI prints all)
SHOW_CHANGES = 500  # ... and this many changes of each kind
# Sheets between their dry run and "Apply", bound to this session and community.
STAGED = StagedSheets("imports", "register_uploads")
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class UploadForm(FlaskForm):
    sheet = FileField(
        _l("The register sheet (.csv or .xlsx)"),
        validators=[FileRequired(_l("Please choose a file."))],
    )


class ApplyForm(FlaskForm):
    token = HiddenField()


# ---------------------------------------------------------------------------------------------
# The overview


@bp.get("/")
def index(code: str):
    comm = load_community(code)
    permissions.require(current_user, "register.view", comm)
    units, area, owners, developer_units = db.session.execute(
        select(
            func.count(Unit.id),
            func.coalesce(func.sum(Unit.area), 0),
            func.count(func.distinct(Unit.owner_id)),
            func.count(case((Owner.is_developer, 1))),
        )
        .join(Owner, Unit.owner_id == Owner.id)
        .where(Unit.community_id == comm.id)
    ).one()
    buildings = db.session.execute(
        select(
            Building.id,
            Building.name,
            func.count(Unit.id).label("units"),
            func.coalesce(func.sum(Unit.area), 0).label("area"),
        )
        .outerjoin(Entrance, Entrance.building_id == Building.id)
        .outerjoin(Unit, Unit.entrance_id == Entrance.id)
        .where(Building.community_id == comm.id)
        .group_by(Building.id, Building.name, Building.sort_key)
        .order_by(Building.sort_key, Building.name)
    ).all()
    wanted = request.args.get("building", type=int)
    selected = next((b for b in buildings if b.id == wanted), buildings[0] if buildings else None)
    groups: list[tuple[Entrance, list[Unit]]] = []
    page = None
    unit_counts: dict[int, int] = {}
    if selected is not None:
        page = db.paginate(
            select(Unit)
            .join(Unit.entrance)
            .join(Unit.owner)
            .options(contains_eager(Unit.entrance), contains_eager(Unit.owner))
            .where(Entrance.building_id == selected.id)
            .order_by(Entrance.sort_key, Entrance.name, Unit.sort_key, Unit.room),
            page=max(request.args.get("page", 1, type=int), 1),
            per_page=PER_PAGE,
            error_out=False,
        )
        for unit in page.items:
            if not groups or groups[-1][0].id != unit.entrance_id:
                groups.append((unit.entrance, []))
            groups[-1][1].append(unit)
        # How many units each owner on the page holds in the whole community: one head, n units.
        owner_ids = {u.owner_id for u in page.items}
        if owner_ids:
            unit_counts = dict(
                db.session.execute(
                    select(Unit.owner_id, func.count(Unit.id))
                    .where(Unit.owner_id.in_(owner_ids))
                    .group_by(Unit.owner_id)
                ).all()
            )
    return render_template(
        "register/index.html",
        totals={
            "buildings": len(buildings),
            "units": units,
            "area": area,
            "owners": owners,
            "developer_units": developer_units,
        },
        buildings=buildings,
        selected=selected,
        page=page,
        groups=groups,
        unit_counts=unit_counts,
        show_phones=permissions.can(current_user, "register.phones", comm),
    )


# ---------------------------------------------------------------------------------------------
# Import: upload → preview → apply


def _summary(plan: register_service.ImportPlan) -> str:
    return _(
        "The register is imported. New units: %(units_new)s · units updated: %(units_changed)s · new owners: %(owners_new)s · owners updated: %(owners_changed)s.",
        units_new=len(plan.units_new),
        units_changed=len(plan.units_changed),
        owners_new=len(plan.owners_new),
        owners_changed=len(plan.owners_changed),
    )


def _preview(comm, plan: register_service.ImportPlan, filename: str, token: str | None):
    return render_template(
        "register/preview.html",
        plan=plan,
        filename=filename,
        form=ApplyForm(token=token),
        token=token,
        show_phones=permissions.can(current_user, "register.phones", comm),
        SHOW_ERRORS=SHOW_ERRORS,
        SHOW_CHANGES=SHOW_CHANGES,
    )


def _columns() -> list[tuple[str, str, bool]]:
    return [(HEADERS_ZH[f], HEADERS_EN[f], f in REQUIRED) for f in FIELDS]


@bp.route("/import", methods=["GET", "POST"])
def upload(code: str):
    comm = load_community(code)
    permissions.require(current_user, "register.import", comm)
    form = UploadForm()
    if form.validate_on_submit():
        storage = form.sheet.data
        data = storage.read()
        filename = storage.filename or ""
        try:
            fmt = detect_format(filename, data)
            sheet = parse_file(data, filename)
        except UnreadableSheet as err:
            form.sheet.errors.append(str(err.reason))
        else:
            plan = register_service.plan_import(comm, sheet)  # reads only
            # Only a sheet that can be applied is kept; the Apply button posts its token back.
            token = STAGED.store(comm.id, data, fmt) if plan.ok and plan.has_changes else None
            return _preview(comm, plan, filename, token)
    return render_template(
        "register/import.html", form=form, columns=_columns()
    ), 400 if form.errors else 200


@bp.post("/import/apply")
def apply(code: str):
    comm = load_community(code)
    permissions.require(current_user, "register.import", comm)
    form = ApplyForm()
    if not form.validate_on_submit():
        abort(400)
    token = form.token.data or ""
    path = STAGED.stored(comm.id, token)
    if path is None:
        flash(
            _("This upload has expired or was already imported. Please upload the sheet again."),
            "error",
        )
        return redirect(url_for("register.upload", code=code))
    try:
        # Parsed and diffed again: the register may have changed since the preview.
        plan = register_service.apply_import(
            current_user, comm, parse_file(path.read_bytes(), path.name)
        )
        db.session.commit()
    except UnreadableSheet:
        STAGED.discard(token, path)
        flash(_("This upload could not be read again. Please upload the sheet again."), "error")
        return redirect(url_for("register.upload", code=code))
    except register_service.ImportRefused as err:
        db.session.rollback()
        STAGED.discard(token, path)
        return _preview(comm, err.plan, path.name, None), 400
    except IntegrityError:
        # Someone imported into the same community at the same moment.
        db.session.rollback()
        flash(
            _("The register was changed by someone else meanwhile. Please upload the sheet again."),
            "error",
        )
        return redirect(url_for("register.upload", code=code))
    STAGED.discard(token, path)
    flash(_summary(plan), "success")
    return redirect(url_for("register.index", code=code))


@bp.post("/import/discard")
def discard(code: str):
    comm = load_community(code)
    permissions.require(current_user, "register.import", comm)
    form = ApplyForm()
    if form.validate_on_submit():
        token = form.token.data or ""
        STAGED.discard(token, STAGED.stored(comm.id, token))
        flash(_("The upload was discarded. Nothing was imported."), "success")
    return redirect(url_for("register.upload", code=code))


@bp.get("/template.<fmt>")
def template(code: str, fmt: str):
    comm = load_community(code)
    permissions.require(current_user, "register.import", comm)
    if fmt == "csv":
        data, mimetype = template_csv(), "text/csv; charset=utf-8"
    elif fmt == "xlsx":
        data, mimetype = template_xlsx(_instructions()), XLSX_MIME
    else:
        abort(404)
    return Response(
        data,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="register-template.{fmt}"'},
    )


def _instructions() -> list[str]:
    return [
        _("How to fill in the household register"),
        _("One row per unit (户). Keep the headers of the first row as they are."),
        _("楼栋, 单元, 房号: building, entrance and room number, as on the door. Required."),
        _("面积: the registered floor area in m², at most 2 decimals, more than 0. Required."),
        _(
            "业主编号: the same number on several rows means one owner holding several units. Leave it empty when the owner has only this unit."
        ),
        _("Units still held by the developer: write 开发商 as 业主编号. They count as one owner."),
        _("业主姓名, 联系电话: the owner's name and 11-digit mobile number. Optional."),
        _("Only the first sheet is read. Save as .xlsx or as CSV."),
    ]
