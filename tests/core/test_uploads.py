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
        assert not Path(uploads.upload_path(uploads.small_name(stored.thumb))).exists()


def test_small_copy_for_lists_is_stored_and_much_lighter(app):
    with app.test_request_context():
        stored = uploads.save_image(fs(jpeg_with_gps()), "test")
        small = uploads.upload_path(uploads.small_name(stored.thumb))
        thumb = uploads.upload_path(stored.thumb)
    assert uploads.small_name("issues/ab.thumb.jpg") == "issues/ab.small.jpg"
    assert uploads.small_name("issues/ab.jpg") == ""
    with Image.open(small) as im:
        assert im.format == "JPEG" and im.size == (uploads.SMALL_EDGE, uploads.SMALL_EDGE)
    assert small.stat().st_size < thumb.stat().st_size


def test_small_copy_made_on_first_request_for_older_photos(app):
    """Photos stored before small copies existed get one from their thumbnail when asked."""
    noisy = Image.effect_noise((1200, 900), 60).convert("RGB")
    out = io.BytesIO()
    noisy.save(out, "JPEG")
    with app.test_request_context():
        stored = uploads.save_image(fs(out.getvalue()), "test")
        small = Path(uploads.upload_path(uploads.small_name(stored.thumb)))
        small.unlink()
        response = uploads.send_upload(stored.name, stored.thumb, "small")
        response.direct_passthrough = False
        body = response.get_data()
        thumb = uploads.send_upload(stored.name, stored.thumb, "thumb")
        thumb.direct_passthrough = False
        assert small.is_file() and not list(small.parent.glob("*.part"))
        assert len(body) < len(thumb.get_data()) / 1.5
        assert response.headers["Cache-Control"] == "private, max-age=86400"
    with Image.open(io.BytesIO(body)) as im:
        assert im.size == (uploads.SMALL_EDGE, uploads.SMALL_EDGE)


def test_send_upload_answers_404_for_missing_files(app):
    from werkzeug.exceptions import NotFound

    with app.test_request_context():
        for args in (("test/gone.jpg", "test/gone.thumb.jpg", "small"), ("../x", "", "full")):
            with pytest.raises(NotFound):
                uploads.send_upload(*args)
