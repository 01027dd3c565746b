"""Forms of the menu pages. They carry the CSRF token and render the fields; the rules live in
services.py, whose DomainError names the field."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from .menu_data import BASIC, IMPROVEMENT, UPGRADE
from .models import CostBasis
from .services import DESCRIPTION_MAX, NAME_MAX

CATEGORY_LABELS = {
    BASIC: _l("Basic: done wherever needed"),
    IMPROVEMENT: _l("Improvement: done where possible"),
    UPGRADE: _l("Upgrade: services to pursue"),
}

BASIS_LABELS = {
    CostBasis.NONE: _l("No estimate yet"),
    CostBasis.TOTAL: _l("Total for the community"),
    CostBasis.PER_UNIT: _l("Per unit (household)"),
    CostBasis.PER_M2: _l("Per m² of floor area"),
}


class ItemForm(FlaskForm):
    category = RadioField(
        _l("Category"),
        choices=[SelectChoice(k, v) for k, v in CATEGORY_LABELS.items()],
        validate_choice=False,
    )
    name_zh = StringField(_l("Name in Chinese"), render_kw={"maxlength": NAME_MAX})
    name_en = StringField(_l("Name in English"), render_kw={"maxlength": NAME_MAX})
    description_zh = TextAreaField(
        _l("What changes for residents (Chinese)"),
        render_kw={"rows": 3, "maxlength": DESCRIPTION_MAX},
    )
    description_en = TextAreaField(
        _l("What changes for residents (English)"),
        render_kw={"rows": 3, "maxlength": DESCRIPTION_MAX},
    )
    cost_basis = RadioField(
        _l("How the cost is counted"),
        choices=[SelectChoice(str(k), v) for k, v in BASIS_LABELS.items()],
        default=str(CostBasis.NONE),
        validate_choice=False,
    )
    cost_amount = StringField(
        _l("Estimated cost (yuan)"), render_kw={"inputmode": "decimal", "autocomplete": "off"}
    )
    residents_share = BooleanField(_l("Residents share this cost"))
