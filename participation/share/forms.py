"""Forms of step 5. The rating form has one field per item, so the view reads it directly."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import StringField
from wtforms.validators import DataRequired, Length

PHOTO_TYPES = "image/jpeg,image/png,image/webp"


class PhotoPairForm(FlaskForm):
    caption = StringField(
        _l("What the photos show, e.g. Building 3 stairwell"),
        validators=[DataRequired(_l("Please say what the photos show.")), Length(max=120)],
    )
    before = FileField(
        _l("Photo before the works"),
        validators=[FileRequired(_l("Please choose the photo before the works."))],
        render_kw={"accept": PHOTO_TYPES},
    )
    after = FileField(
        _l("Photo after the works"),
        validators=[FileRequired(_l("Please choose the photo after the works."))],
        render_kw={"accept": PHOTO_TYPES},
    )
