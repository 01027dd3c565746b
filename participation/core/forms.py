"""Forms shared by the core pages. Labels are lazy so they follow the user's language."""

from __future__ import annotations

from flask import flash
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from .errors import DomainError


class PrefsForm(FlaskForm):
    lang = HiddenField()
    elder = HiddenField()
    next = HiddenField()


class NoticeForm(FlaskForm):
    title = StringField(
        _l("Title"), validators=[DataRequired(_l("Please enter a title.")), Length(max=120)]
    )
    body = TextAreaField(
        _l("Text"), validators=[DataRequired(_l("Please enter the text.")), Length(max=5000)]
    )
    pinned = BooleanField(_l("Pin to the top"))


class ConfirmForm(FlaskForm):
    """A bare form for buttons that change state: it carries the CSRF token."""


def show_domain_error(form: FlaskForm, err: DomainError, default: str | None = None) -> None:
    """Put a service's refusal next to the field it concerns (or the `default` field when it
    names none the form has), else flash it for the whole form."""
    target = getattr(form, err.field, None) if err.field else None
    if target is None and default is not None:
        target = getattr(form, default)
    if target is not None:
        target.errors = (
            [*target.errors, err.message] if isinstance(target.errors, list) else [err.message]
        )
    else:
        flash(err.message, "error")
