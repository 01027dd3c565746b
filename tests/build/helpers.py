"""Builders for the step 4 tests: real photos (with GPS EXIF), issues through the services."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from PIL import ExifTags, Image
from werkzeug.datastructures import FileStorage

from participation.build import services
from participation.extensions import db

GPS = {1: "N", 2: (31.0, 14.0, 5.5), 3: "E", 4: (121.0, 28.0, 30.0)}


def jpeg_bytes(size=(800, 600), colour=(200, 100, 50), gps: bool = True) -> bytes:
    """A real JPEG as a phone writes it: camera make and GPS position in its EXIF."""
    img = Image.new("RGB", size, colour)
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneCam"
    if gps:
        exif[ExifTags.Base.GPSInfo] = GPS
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif.tobytes(), quality=85)
    return out.getvalue()


def upload(data: bytes | None = None, name: str = "photo.jpg") -> FileStorage:
    return FileStorage(io.BytesIO(jpeg_bytes() if data is None else data), filename=name)


def file_tuple(data: bytes | None = None, name: str = "photo.jpg"):
    """For the test client's multipart form data."""
    return (io.BytesIO(jpeg_bytes() if data is None else data), name)


def report(
    user,
    community,
    *,
    category="materials",
    urgency="normal",
    building=None,
    entrance=None,
    description="楼道口堆了建筑垃圾",
    photos=None,
    private=False,
    now: datetime | None = None,
):
    issue = services.report(
        user,
        community,
        category=category,
        urgency=urgency,
        description=description,
        building_id=building.id if building is not None else None,
        entrance_id=entrance.id if entrance is not None else None,
        photos=photos,
        private=private,
        now=now,
    )
    db.session.commit()
    return issue


@contextmanager
def count_queries() -> Iterator[list[str]]:
    """The SQL statements run inside the block (by the app's engine)."""
    from sqlalchemy import event

    statements: list[str] = []

    def before(conn, cursor, statement, *args):
        statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)
