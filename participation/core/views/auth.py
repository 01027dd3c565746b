"""Sign-up with an invite code, login, logout, password change, adding a home."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from ...extensions import db, limiter
from ..errors import DomainError
from ..forms import show_domain_error
from ..services import accounts
from .main import safe_next

bp = Blueprint("auth", __name__)

RELATIONS = [
    SelectChoice("owner", _l("Owner (业主)")),
    SelectChoice("family", _l("Family member living there")),
    SelectChoice("tenant", _l("Tenant")),
]


class LoginForm(FlaskForm):
    phone = StringField(
        _l("Mobile number"), validators=[DataRequired(_l("Please enter your mobile number."))]
    )
    password = PasswordField(
        _l("Password"), validators=[DataRequired(_l("Please enter your password."))]
    )


class SignupForm(FlaskForm):
    code = StringField(
        _l("Invite code from your slip"),
        validators=[DataRequired(_l("Please enter the code from your slip.")), Length(max=20)],
    )
    phone = StringField(
        _l("Mobile number"),
        validators=[DataRequired(_l("Please enter your mobile number.")), Length(max=20)],
    )
    name = StringField(_l("Your name (optional)"), validators=[Length(max=100)])
    relation = RadioField(
        _l("You are"),
        choices=RELATIONS,
        validators=[DataRequired(_l("Please choose how you relate to this home."))],
    )
    password = PasswordField(
        _l("Choose a password"),
        validators=[DataRequired(_l("Please choose a password.")), Length(max=200)],
    )
    privacy = BooleanField(
        _l("I have read how my information is used and agree"),
        validators=[DataRequired(_l("Please read and accept the privacy notice to continue."))],
    )


class AddHomeForm(FlaskForm):
    code = StringField(
        _l("Invite code from your slip"),
        validators=[DataRequired(_l("Please enter the code from your slip.")), Length(max=20)],
    )
    relation = RadioField(
        _l("You are"),
        choices=RELATIONS,
        validators=[DataRequired(_l("Please choose how you relate to this home."))],
    )


class PasswordForm(FlaskForm):
    current = PasswordField(
        _l("Current password"), validators=[DataRequired(_l("Please enter your current password."))]
    )
    new = PasswordField(
        _l("New password"),
        validators=[DataRequired(_l("Please choose a new password.")), Length(max=200)],
    )


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _phone_key() -> str:
    return "phone:" + accounts.normalise_phone(request.form.get("phone", ""))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@limiter.limit(_login_limit, methods=["POST"], key_func=_phone_key)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(form.phone.data, form.password.data)
        if user is not None:
            login_user(user, remember=True)
            return redirect(safe_next(request.args.get("next"), url_for("main.home")))
        form.password.errors = [_("The number or the password is not right.")]
    return render_template("auth/login.html", form=form), 400 if form.errors else 200


@bp.post("/logout")
def logout():
    logout_user()
    flash(_("You are logged out."), "success")
    return redirect(url_for("main.home"))


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def signup():
    if current_user.is_authenticated:
        return redirect(url_for("auth.add_home", code=request.args.get("code", "")))
    form = SignupForm()
    if request.method == "GET" and request.args.get("code"):
        form.code.data = request.args["code"]
    if form.validate_on_submit():
        try:
            user = accounts.sign_up(
                form.phone.data,
                form.password.data,
                form.code.data,
                form.relation.data,
                form.name.data,
            )
            db.session.commit()
        except DomainError as err:
            db.session.rollback()
            show_domain_error(form, err)
        else:
            login_user(user, remember=True)
            pending = any(link.status == "pending" for link in user.residencies)
            flash(
                _("Welcome! Your owner link will count once the committee confirms it.")
                if pending
                else _("Welcome! Your account is ready."),
                "success",
            )
            return redirect(url_for("main.home"))
    return render_template("auth/signup.html", form=form), 400 if form.errors else 200


@bp.route("/me/add-home", methods=["GET", "POST"])
@login_required
@limiter.limit(_login_limit, methods=["POST"])
def add_home():
    form = AddHomeForm()
    if request.method == "GET" and request.args.get("code"):
        form.code.data = request.args["code"]
    if form.validate_on_submit():
        try:
            accounts.claim_invite(current_user, form.code.data, form.relation.data)
            db.session.commit()
        except DomainError as err:
            db.session.rollback()
            show_domain_error(form, err)
        else:
            flash(_("The home is added to your account."), "success")
            return redirect(url_for("main.me"))
    return render_template("auth/add_home.html", form=form), 400 if form.errors else 200


@bp.route("/me/password", methods=["GET", "POST"])
@login_required
def password():
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(current_user, form.current.data, form.new.data)
            db.session.commit()
        except DomainError as err:
            db.session.rollback()
            show_domain_error(form, err)
        else:
            # The real user, not the proxy: Flask-Login stores it in g, and the proxy would then
            # resolve to itself. The cookie is re-issued with the new session version.
            login_user(current_user._get_current_object(), remember=True)
            flash(_("Your password is changed. Other phones are logged out."), "success")
            return redirect(url_for("main.me"))
    return render_template("auth/password.html", form=form), 400 if form.errors else 200
