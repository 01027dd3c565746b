"""Forms of the pledge pages. They carry the CSRF token and render the fields; the rules live in
services.py, whose DomainError names the field. Each pledge form carries a one-time token
(hidden) so that a double tap records one pledge."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from . import reward as rules
from .models import SKILLS

SKILL_LABELS = {
    "supervision": _l("Supervision volunteer (监督员)"),
    "cleaning": _l("Cleaning"),
    "electrical": _l("Electrical work"),
    "carpentry": _l("Carpentry"),
    "gardening": _l("Gardening"),
    "elderly_help": _l("Helping elderly neighbours"),
    "other": _l("Other work"),
}
assert tuple(SKILL_LABELS) == SKILLS

KIND_LABELS = {
    "money": _l("Money"),
    "labour": _l("Labour"),
    "materials": _l("Materials"),
}

STATUS_LABELS = {
    "pledged": _l("Pledged, not yet received"),
    "fulfilled": _l("Received"),
    "withdrawn": _l("Withdrawn"),
    "cancelled": _l("Cancelled"),
}

CAP_LABELS = {
    rules.CAP_NONE: _l("No cap"),
    rules.CAP_TOTAL: _l("A total in yuan"),
    rules.CAP_PER_M2: _l("Yuan per m² of floor area"),
}

MONEY_ATTRS = {"inputmode": "decimal", "autocomplete": "off"}


class _PledgeForm(FlaskForm):
    token = HiddenField()
    kind = HiddenField()
    unit_id = SelectField(_l("For which home"), choices=[], validate_choice=False)
    honour = BooleanField(
        _l("Show my name on the public honour roll (if not ticked: only my family name, like 张**)")
    )


class MoneyForm(_PledgeForm):
    amount = StringField(_l("Amount (yuan)"), render_kw=MONEY_ATTRS)


class LabourForm(_PledgeForm):
    hours = StringField(
        _l("Hours you can give"),
        render_kw={"inputmode": "decimal", "autocomplete": "off"},
    )
    skill = RadioField(
        _l("What kind of work"),
        choices=[SelectChoice(k, v) for k, v in SKILL_LABELS.items()],
        validate_choice=False,
    )


class MaterialsForm(_PledgeForm):
    item = StringField(_l("What you will give"), render_kw={"maxlength": 100})
    quantity = StringField(_l("How much"), render_kw={"maxlength": 40})
    value = StringField(_l("Estimated value (yuan)"), render_kw=MONEY_ATTRS)


class ConfirmPledgeForm(FlaskForm):
    received = StringField(_l("Amount received (yuan)"), render_kw=MONEY_ATTRS)
    reference = StringField(_l("Receipt or transfer reference"), render_kw={"maxlength": 60})
    hours_worked = StringField(
        _l("Hours worked"), render_kw={"inputmode": "decimal", "autocomplete": "off"}
    )
    delivered = StringField(_l("Items delivered"), render_kw={"maxlength": 200})
    value = StringField(_l("Value counted (yuan)"), render_kw=MONEY_ATTRS)


class CancelPledgeForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason (the resident will read it)"), render_kw={"rows": 3, "maxlength": 300}
    )


class RewardForm(FlaskForm):
    match_ratio = StringField(
        _l("Reward per yuan confirmed"), render_kw={"inputmode": "decimal", "autocomplete": "off"}
    )
    include_in_kind = BooleanField(_l("Count valued labour and materials too"))
    labour_rate = StringField(_l("Value of one hour of labour (yuan)"), render_kw=MONEY_ATTRS)
    cap_kind = RadioField(
        _l("Cap"),
        choices=[SelectChoice(k, v) for k, v in CAP_LABELS.items()],
        validate_choice=False,
    )
    cap_amount = StringField(_l("Cap amount (yuan, or yuan per m²)"), render_kw=MONEY_ATTRS)
    min_household_share_pct = StringField(
        _l("Households pledging, at least (%)"),
        render_kw={"inputmode": "decimal", "autocomplete": "off"},
    )
    min_per_m2 = StringField(_l("Residents' money, at least (yuan per m²)"), render_kw=MONEY_ATTRS)


class SpendingForm(FlaskForm):
    spent_on = StringField(_l("Date paid"), render_kw={"type": "date"})
    amount = StringField(_l("Amount (yuan)"), render_kw=MONEY_ATTRS)
    purpose = StringField(_l("What it paid for"), render_kw={"maxlength": 200})
    payee = StringField(_l("Paid to"), render_kw={"maxlength": 100})
    reference = StringField(_l("Invoice or transfer reference"), render_kw={"maxlength": 60})
    source = SelectField(_l("Paid from"), choices=[], validate_choice=False)


class PaperPledgeForm(FlaskForm):
    """A pledge a household signed on paper, recorded by the committee (the home from the
    register, as for paper ballots)."""

    token = HiddenField()
    building = SelectField(_l("Building"), validate_choice=False)
    entrance = SelectField(_l("Entrance"), validate_choice=False)
    room = SelectField(_l("Room"), validate_choice=False)
    unit = StringField(
        _l("Or type the home"),
        render_kw={"placeholder": "3-2-501", "autocomplete": "off", "spellcheck": "false"},
    )
    kind = RadioField(
        _l("What the household pledges"),
        choices=[SelectChoice(k, v) for k, v in KIND_LABELS.items()],
        validate_choice=False,
    )
    amount = StringField(_l("Amount (yuan)"), render_kw=MONEY_ATTRS)
    hours = StringField(
        _l("Hours offered"), render_kw={"inputmode": "decimal", "autocomplete": "off"}
    )
    skill = SelectField(
        _l("What kind of work"),
        choices=[SelectChoice(k, v) for k, v in SKILL_LABELS.items()],
        validate_choice=False,
    )
    item = StringField(_l("What they will give"), render_kw={"maxlength": 100})
    quantity = StringField(_l("How much"), render_kw={"maxlength": 40})
    value = StringField(_l("Estimated value (yuan)"), render_kw=MONEY_ATTRS)
    evidence = StringField(
        _l("Paper form number or where the signed paper is kept"),
        render_kw={"maxlength": 200, "autocomplete": "off"},
    )
