"""Flask extensions, created unbound and initialised in create_app()."""

from flask_babel import Babel
from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.session import Session as FlaskSession
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names so Alembic migrations work the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


MAX_PAGE = 100_000  # far past any real list's last page
MAX_ID = 2**31 - 1  # the largest value of an INTEGER primary key on PostgreSQL


def parse_id(value) -> int | None:
    """A row id typed into a form, a query string or a URL: a positive int the primary key can
    hold, else None (names no row). Anything larger would overflow the database driver."""
    if isinstance(value, bool):
        return None
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if 0 < number <= MAX_ID else None


class _Session(FlaskSession):
    def get(self, entity, ident, *args, **kwargs):  # type: ignore[override]
        """An id the primary key cannot hold (a number typed into a form or a URL) names no
        row: None, instead of an integer overflow in the database driver (a 500)."""
        if (
            isinstance(ident, int)
            and not isinstance(ident, bool)
            and not -MAX_ID <= ident <= MAX_ID
        ):
            return None
        return super().get(entity, ident, *args, **kwargs)


class _SQLAlchemy(SQLAlchemy):
    def paginate(self, select, *, page=None, **kwargs):  # type: ignore[override]
        """A page number from the query string may be any size: one far past the last page is
        an empty page (error_out=False), not an integer overflow in the database driver."""
        if page is not None:
            page = min(page, MAX_PAGE)
        return super().paginate(select, page=page, **kwargs)


db = _SQLAlchemy(model_class=Base, session_options={"class_": _Session})
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
compress = Compress()
limiter = Limiter(key_func=get_remote_address)
