"""Forms of the idea pages. They carry the CSRF token and render the fields; the rules (lengths,
photos, reasons) live in services.py, whose DomainError names the field. Reporting and hiding use
consult's forms: the same reasons and limits as for comments."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, MultipleFileField, RadioField, StringField, TextAreaField

from ..consult.forms import REASON_LABELS, HideForm, ReportForm
from .services import BODY_MAX, PLACE_MAX, TITLE_MAX

__all__ = ["REASON_LABELS", "HideForm", "IdeaForm", "ReportForm", "SupportForm"]

PHOTO_TYPES = "image/jpeg,image/png,image/webp"


class IdeaForm(FlaskForm):
    title = StringField(_l("Title"), render_kw={"maxlength": TITLE_MAX})
    body = TextAreaField(_l("Your idea"), render_kw={"rows": 6, "maxlength": BODY_MAX})
    # Radio buttons, not a drop-down: large targets for older residents, every choice in view.
    building = RadioField(_l("Building (optional)"), choices=[], validate_choice=False)
    place = StringField(_l("Where exactly (optional)"), render_kw={"maxlength": PLACE_MAX})
    photos = MultipleFileField(_l("Photos (optional)"), render_kw={"accept": PHOTO_TYPES})


class SupportForm(FlaskForm):
    """One tap: `do` says what the tap means ("add" or "remove"), so a double tap repeats the
    same wish instead of undoing it."""

    do = HiddenField()
