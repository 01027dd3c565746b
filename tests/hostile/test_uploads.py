"""Hostile uploads: polyglots (JPEG+ZIP, PNG+HTML) are re-encoded so nothing but the picture
is stored; decompression bombs, wrong extensions, SVG with script and truncated images are
refused with a message, writing nothing (no row, no file). Sheets that are not sheets too."""

from __future__ import annotations

import io
import os
from pathlib import Path

from PIL import Image

from tests.hostile.conftest import row_counts


def _jpeg(size=(64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(out, "JPEG")
    return out.getvalue()


def _png(size=(64, 48), mode="RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size).save(out, "PNG")
    return out.getvalue()


ZIP = (
    b"PK\x03\x04\x14\x00\x00\x00\x08\x00"
    + b"evil.html"
    + b"\x00" * 40
    + b"PK\x05\x06"
    + b"\x00" * 18
)
HTML = b"<html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>'

POLYGLOTS = {
    "jpeg+zip": (_jpeg() + ZIP, "holiday.jpg"),
    "png+html": (_png() + HTML, "photo.png"),
}
REFUSED = {
    "decompression bomb": (_png((20000, 20000), "1"), "bomb.png"),
    "html named .jpg": (HTML, "photo.jpg"),
    "svg with script": (SVG, "drawing.svg"),
    "svg named .png": (SVG, "drawing.png"),
    "truncated jpeg": (_jpeg((400, 300))[:300], "cut.jpg"),
    "truncated png": (_png((400, 300))[:60], "cut.png"),
    "zip named .png": (ZIP, "archive.png"),
    "exe named .jpg": (b"MZ\x90\x00" + b"\x00" * 200, "setup.jpg"),
    "empty file": (b"", "empty.jpg"),
}


def _files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}


def _topic_form(world, body: bytes, filename: str):
    client = world.client("committee")
    return client.post(
        f"/c/{world.a.code}/topics/new",
        {
            "title": "照片",
            "body": "附件",
            "notice_days": "7",
            "attachments": [(io.BytesIO(body), filename)],
        },
    )


def test_refused_uploads_write_nothing(world, no_limits):
    root = Path(world.app.config["UPLOAD_FOLDER"])
    for label, (body, filename) in REFUSED.items():
        before, files = row_counts(), _files(root)
        with world.recorder.watch() as writes:
            resp = _topic_form(world, body, filename)
        assert resp.status_code == 400, (label, resp.status_code)
        assert 'class="error"' in resp.get_data(as_text=True), label
        assert not writes, (label, writes[:2])
        assert row_counts() == before, label
        assert _files(root) == files, f"{label}: a file was left behind"


def test_polyglots_keep_only_the_picture(world, no_limits):
    client = world.client("committee")
    root = Path(world.app.config["UPLOAD_FOLDER"])
    for label, (body, filename) in POLYGLOTS.items():
        files = _files(root)
        resp = _topic_form(world, body, filename)
        assert resp.status_code == 302, (label, resp.status_code)
        new = _files(root) - files
        assert len(new) == 3, (label, new)  # the re-encoded picture, its thumbnail, its list copy
        for path in new:
            data = path.read_bytes()
            assert b"PK\x03\x04" not in data and b"<script" not in data.lower(), label
            assert path.suffix in (".jpg", ".png"), path
        # Served as a picture, never sniffed as something else.
        page = client.get(resp.headers["Location"]).get_data(as_text=True)
        link = next(
            part.split('"')[0]
            for part in page.split('src="')[1:]
            if "/files/" in part.split('"')[0]
        )
        served = client.get(link)
        assert served.status_code == 200, link
        assert served.mimetype.startswith("image/"), served.mimetype
        assert served.headers["X-Content-Type-Options"] == "nosniff"


def test_sheets_that_are_not_sheets(world, no_limits):
    client = world.client("committee")
    targets = [
        f"/c/{world.a.code}/register/import",
        f"/c/{world.a.code}/votes/{world.a.ids['vote_id']}/import",
    ]
    bodies = {
        "jpeg named .xlsx": (_jpeg(), "register.xlsx"),
        "zip named .xlsx": (ZIP, "register.xlsx"),
        "html named .csv": (HTML, "register.csv"),
        "binary named .csv": (os.urandom(2000), "register.csv"),
        "svg": (SVG, "register.svg"),
        "no name": (b"a,b\n", ""),
    }
    for url in targets:
        for label, (body, filename) in bodies.items():
            before = row_counts()
            with world.recorder.watch() as writes:
                resp = client.post(url, {"sheet": (io.BytesIO(body), filename)})
            # Refused, or (a CSV that parses) a preview listing its errors: nothing applied.
            assert resp.status_code in (200, 400), (url, label, resp.status_code)
            assert "<script" not in resp.get_data(as_text=True).split("</head>")[1]
            assert not writes, (url, label)
            assert row_counts() == before
