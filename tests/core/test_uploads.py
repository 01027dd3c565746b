"""Shared upload handling with real image decoding."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from werkzeug.datastructures import FileStorage

from participation.core import uploads


def jpeg_with_gps(size=(3000, 2000)) -> bytes:
    image = Image.new("RGB", size, (200, 120, 40))
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise to display
    gps = {1: "N", 2: (30.0, 15.0, 0.0), 3: "E", 4: (120.0, 10.0, 0.0)}
    exif[0x8825] = gps
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def fs(data: bytes, name: str = "photo.jpg") -> FileStorage:
    return FileStorage(stream=io.BytesIO(data), filename=name)


def test_photo_is_reencoded_without_metadata_rotated_and_resized(app):
    with app.test_request_context():
        stored = uploads.save_image(fs(jpeg_with_gps()), "test")
        full = uploads.upload_path(stored.name)
        thumb = uploads.upload_path(stored.thumb)
    with Image.open(full) as im:
        assert im.format == "JPEG"
        assert not im.getexif()  # no EXIF at all, so no GPS
        assert "exif" not in im.info
        assert max(im.size) == uploads.LONG_EDGE
        assert im.size == (1067, 1600)  # portrait after applying the orientation tag
    with Image.open(thumb) as im:
        assert max(im.size) == uploads.THUMB_EDGE


def test_png_with_transparency_stays_png(app):
    out = io.BytesIO()
    Image.new("RGBA", (50, 50), (0, 0, 0, 0)).save(out, "PNG")
    with app.test_request_context():
        stored = uploads.save_image(fs(out.getvalue(), "x.png"), "test")
    assert stored.name.endswith(".png")


@pytest.mark.parametrize(
    "data", [b"%PDF-1.4 not an image", b"GIF89a" + b"\x00" * 20, b"<svg></svg>"]
)
def test_non_images_refused(app, data):
    with app.test_request_context(), pytest.raises(uploads.UploadError):
        uploads.save_image(fs(data), "test")


def test_polyglot_trailing_payload_is_dropped(app):
    payload = b"<script>alert(1)</script>PK\x03\x04zipdata"
    with app.test_request_context():
        stored = uploads.save_image(fs(jpeg_with_gps((100, 100)) + payload), "test")
        assert payload not in uploads.upload_path(stored.name).read_bytes()


def test_decompression_bomb_refused(app):
    out = io.BytesIO()
    Image.new("1", (20000, 20000)).save(out, "PNG")  # 400 megapixels in a few kB
    assert len(out.getvalue()) < 200_000
    with app.test_request_context(), pytest.raises(uploads.UploadError):
        uploads.save_image(fs(out.getvalue(), "bomb.png"), "test")


def test_oversized_and_empty_files_refused(app):
    with app.test_request_context():
        with pytest.raises(uploads.UploadError):
            uploads.save_image(fs(b"x" * 2048), "test", max_bytes=1024)
        with pytest.raises(uploads.UploadError):
            uploads.save_image(fs(b""), "test")


def test_upload_path_refuses_escape(app):
    with app.test_request_context(), pytest.raises(uploads.UploadError):
        uploads.upload_path("../../etc/passwd")


def test_delete_stored_removes_files(app):
    with app.test_request_context():
        stored = uploads.save_image(fs(jpeg_with_gps((64, 64))), "test")
        uploads.delete_stored([stored.name, stored.thumb, "test/missing.jpg"])
        assert not Path(uploads.upload_path(stored.name)).exists()
