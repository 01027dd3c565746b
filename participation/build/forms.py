"""Forms of step 4. Choices are checked by the services (with a message naming the field), so
the forms only carry the fields, their labels and the CSRF token."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    MultipleFileField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from . import rules
from .labels import CATEGORY_LABELS, NOTICE_KIND_LABELS, PARTY_LABELS, URGENCY_LABELS


class ReportForm(FlaskForm):
    category = HiddenField()
    place = HiddenField()
    urgency = RadioField(
        _l("How urgent is it?"),
        choices=[SelectChoice(u, URGENCY_LABELS[u]) for u in ("normal", "emergency")],
        default="normal",
        validate_choice=False,
    )
    floor = StringField(_l("Floor (if inside a building)"), validators=[Optional()])
    spot = StringField(_l("Where exactly"), validators=[Optional()])
    description = TextAreaField(_l("What is wrong?"))
    private = BooleanField(_l("My photos show the inside of my home: only staff may see them"))
    latitude = HiddenField()
    longitude = HiddenField()
    photos = MultipleFileField(_l("Photos"), validators=[Optional()])


class ResolveForm(FlaskForm):
    note = TextAreaField(_l("What was done"))
    photo = MultipleFileField(_l("Photo after the fix (optional)"), validators=[Optional()])


class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("Reason"))


class ReassignForm(FlaskForm):
    party = SelectField(
        _l("Pass to"),
        choices=[SelectChoice(p, PARTY_LABELS[p]) for p in rules.PARTIES],
        validate_choice=False,
    )
    note = StringField(_l("Note (optional)"), validators=[Optional()])


class MergeForm(FlaskForm):
    into = StringField(_l("Number of the report it repeats"))


class LogForm(FlaskForm):
    day = DateField(_l("Date"), validators=[Optional()])
    plan_line = SelectField(_l("Plan item"), choices=[], validate_choice=False)
    item = StringField(_l("Or name the part of the works"), validators=[Optional()])
    progress = StringField(_l("Progress (%)"), validators=[Optional()])
    body = TextAreaField(_l("What was done"))
    photos = MultipleFileField(_l("Photos"), validators=[Optional()])


class AdvanceNoticeForm(FlaskForm):
    kind = RadioField(
        _l("What kind of works"),
        choices=[SelectChoice(k, NOTICE_KIND_LABELS[k]) for k in NOTICE_KIND_LABELS],
        default="water_cut",
        validate_choice=False,
    )
    starts_at = StringField(_l("Starts"))
    ends_at = StringField(_l("Ends"))
    area = StringField(_l("Buildings affected"))
    details = TextAreaField(_l("Details for residents"), validators=[Optional()])
    reason = StringField(_l("Reason (needed for night work, 22:00–06:00)"), validators=[Optional()])


CATEGORY_CHOICES = [(c, CATEGORY_LABELS[c]) for c in rules.CATEGORIES]
