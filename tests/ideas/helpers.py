"""Builders for the idea tests: ideas written straight to the database, real image bytes."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from flask import current_app
from PIL import Image
from sqlalchemy import event, func, select
from werkzeug.datastructures import FileStorage

from participation.core.models import AuditEntry, Community, User
from participation.core.timeutil import utcnow
from participation.extensions import db
from participation.ideas.models import Idea, IdeaStatus

DAY = timedelta(days=1)


def make_idea(
    community: Community,
    author: User,
    *,
    title: str = "楼下空地改成小花园",
    body: str = "3幢东侧的空地堆满杂物,建议清理后种花、放两张长椅。",
    status: str = IdeaStatus.OPEN,
    hidden: bool = False,
    supports: int = 0,
    days_ago: float = 1,
) -> Idea:
    idea = Idea(
        community_id=community.id,
        author_id=author.id,
        title=title,
        body=body,
        status=status,
        created_at=utcnow() - days_ago * DAY,  # outside the rate-limit window
        support_count=supports,
        report_count=0,
        hidden_at=utcnow() if hidden else None,
        hidden_reason_code="spam" if hidden else "",
    )
    db.session.add(idea)
    db.session.commit()
    return idea


def jpeg_bytes(size: tuple[int, int] = (64, 48), gps: bool = False) -> bytes:
    image = Image.new("RGB", size, (40, 140, 90))
    out = io.BytesIO()
    if gps:
        exif = Image.Exif()
        exif[0x8825] = {1: "N", 2: (30.0, 15.0, 0.0), 3: "E", 4: (120.0, 10.0, 0.0)}
        image.save(out, "JPEG", exif=exif)
    else:
        image.save(out, "JPEG")
    return out.getvalue()


def png_bytes(size: tuple[int, int] = (40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def png_zip_polyglot() -> bytes:
    """A valid PNG with a ZIP archive appended: image viewers show the picture, unzip finds
    the archive."""
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("payload.html", "<script>alert(1)</script>")
    return png_bytes() + archive.getvalue()


def upload(data: bytes, name: str = "photo.jpg") -> FileStorage:
    return FileStorage(stream=io.BytesIO(data), filename=name)


def stored_files() -> set[str]:
    folder = Path(current_app.config["UPLOAD_FOLDER"]) / "ideas"
    return {p.name for p in folder.glob("*")} if folder.exists() else set()


def audit_actions(community_id: int | None = None) -> list[str]:
    query = select(AuditEntry.action).order_by(AuditEntry.id)
    if community_id is not None:
        query = query.where(AuditEntry.community_id == community_id)
    return list(db.session.scalars(query))


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def text(resp) -> str:
    return resp.get_data(as_text=True)


@contextmanager
def count_queries() -> Iterator[list[str]]:
    statements: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):  # noqa: ARG001
        statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)


def selects(statements: list[str]) -> list[str]:
    return [s for s in statements if re.match(r"\s*SELECT", s, re.I)]
