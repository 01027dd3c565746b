"""City administration: staff accounts and their memberships."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload
from wtforms import PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Regexp

from ...extensions import db
from .. import permissions
from ..errors import DomainError
from ..forms import show_domain_error
from ..models import Community, Membership, Project, ProjectStep, Role, StepState, Unit
from ..services import accounts

bp = Blueprint("admin", __name__, url_prefix="/admin")

ROLE_LABELS = {
    "committee": _l("Committee"),
    "property": _l("Property company / contractor"),
    "city": _l("Street office / housing bureau"),
}


class StaffForm(FlaskForm):
    phone = StringField(
        _l("Mobile number"),
        validators=[DataRequired(_l("Please enter a mobile number.")), Length(max=20)],
    )
    name = StringField(
        _l("Name"), validators=[DataRequired(_l("Please enter a name.")), Length(max=100)]
    )
    password = PasswordField(
        _l("First password"),
        validators=[DataRequired(_l("Please choose a password.")), Length(max=200)],
    )
    role = SelectField(_l("Role"), choices=[SelectChoice(k, v) for k, v in ROLE_LABELS.items()])
    community = SelectField(_l("Community"), coerce=str)
    title = StringField(_l("Title, e.g. committee director"), validators=[Length(max=60)])


@bp.route("/staff", methods=["GET", "POST"])
def staff():
    permissions.require(current_user, "staff.manage")
    communities = db.session.scalars(select(Community).order_by(Community.code)).all()
    form = StaffForm()
    form.community.choices = [("", _("— none (city role) —"))] + [
        (c.code, f"{c.name} ({c.code})") for c in communities
    ]
    if form.validate_on_submit():
        community = next((c for c in communities if c.code == form.community.data), None)
        try:
            accounts.create_user(
                form.phone.data,
                form.password.data,
                form.name.data,
                role=form.role.data,
                community=community,
                title=form.title.data,
                actor=current_user,
            )
            db.session.commit()
            flash(
                _("The staff account is ready. Give the person their first password in private."),
                "success",
            )
            return redirect(url_for("admin.staff"))
        except DomainError as err:
            db.session.rollback()
            show_domain_error(form, err)
    members = db.session.scalars(
        select(Membership)
        .options(joinedload(Membership.user), joinedload(Membership.community))
        .order_by(Membership.community_id, Membership.role, Membership.id)
    ).all()
    return render_template(
        "admin/staff.html",
        form=form,
        members=members,
        role_labels=ROLE_LABELS,
        roles=[r.value for r in Role],
    ), 400 if form.errors else 200


class CommunityForm(FlaskForm):
    code = StringField(
        _l("Code (letters and digits)"),
        validators=[
            DataRequired(_l("Please enter a code.")),
            Length(max=32),
            Regexp(r"^[A-Za-z0-9_-]+$", message=_l("Use letters, digits, - and _ only.")),
        ],
    )
    name = StringField(
        _l("Name"), validators=[DataRequired(_l("Please enter a name.")), Length(max=100)]
    )
    name_en = StringField(_l("English name"), validators=[Length(max=100)])
    district = StringField(_l("District"), validators=[Length(max=100)])
    address = StringField(_l("Address"), validators=[Length(max=200)])


@bp.route("/communities", methods=["GET", "POST"])
def communities():
    permissions.require(current_user, "staff.manage")
    from ..services.register import create_community

    form = CommunityForm()
    if form.validate_on_submit():
        try:
            comm = create_community(
                current_user,
                form.code.data.strip(),
                form.name.data.strip(),
                name_en=form.name_en.data or "",
                district=form.district.data or "",
                address=form.address.data or "",
            )
            db.session.commit()
            flash(
                _("The community is created. Next: its committee account and its register."),
                "success",
            )
            return redirect(url_for("main.community", code=comm.code))
        except DomainError as err:
            db.session.rollback()
            show_domain_error(form, err)
    units = (
        select(
            Unit.community_id.label("cid"),
            func.count(Unit.id).label("units"),
            func.coalesce(func.sum(Unit.area), 0).label("area"),
            func.count(func.distinct(Unit.owner_id)).label("owners"),
        )
        .group_by(Unit.community_id)
        .subquery()
    )
    active = (
        select(Project.community_id.label("cid"), ProjectStep.key.label("step"))
        .join(ProjectStep, ProjectStep.project_id == Project.id)
        .where(ProjectStep.state == StepState.ACTIVE)
        .subquery()
    )
    rows = db.session.execute(
        select(Community, units.c.units, units.c.area, units.c.owners, active.c.step)
        .outerjoin(units, units.c.cid == Community.id)
        .outerjoin(active, active.c.cid == Community.id)
        .order_by(Community.district, Community.code)
    ).all()
    return render_template(
        "admin/communities.html", form=form, rows=rows
    ), 400 if form.errors else 200
