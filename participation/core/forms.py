"""Forms shared by the core pages. Labels are lazy so they follow the user's language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length


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
