"""Shared upload handling: every file is judged by its content, not its name.

Photos are decoded with Pillow, rotated upright, re-encoded without metadata (EXIF GPS and all),
resized for phones and given a thumbnail; anything Pillow cannot decode, a decompression bomb or
an oversized file is refused with a message in the user's language. Stored names are random."""

from __future__ import annotations

import io
import secrets
import warnings
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError
from werkzeug.datastructures import FileStorage

from .errors import DomainError

IMAGE_FORMATS = {"JPEG", "PNG", "WEBP", "GIF", "MPO"}  # MPO: what many phone cameras write
MAX_IMAGE_BYTES = 12 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a 48-megapixel phone photo is refused only beyond this
LONG_EDGE = 1600
# Thumbnails show at 64–120 CSS px: 240 px is sharp at a cheap phone's 2× density and keeps
# a page of photos inside the 40 kB first-load budget (DESIGN.md §9); 400 px did not.
THUMB_EDGE = 240
THUMB_QUALITY = 72


class UploadError(DomainError):
    pass


@dataclass(frozen=True)
class StoredImage:
    name: str  # relative to UPLOAD_FOLDER, e.g. "issues/ab12….jpg"
    thumb: str
    width: int
    height: int


def _read_limited(file: FileStorage, limit: int) -> bytes:
    data = file.stream.read(limit + 1)
    if len(data) > limit:
        raise UploadError(
            _("The file is too large (at most %(mb)d MB).", mb=limit // (1024 * 1024))
        )
    if not data:
        raise UploadError(_("The file is empty."))
    return data


def decode_image(data: bytes) -> Image.Image:
    """Open and fully decode, refusing non-images and decompression bombs."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data)) as probe:
                if probe.format not in IMAGE_FORMATS:
                    raise UploadError(_("Only photos (JPEG, PNG, WebP) can be uploaded."))
                if probe.width * probe.height > MAX_PIXELS:
                    raise UploadError(_("The picture is too large. Please send a smaller photo."))
                probe.verify()
            image = Image.open(io.BytesIO(data))
            image.load()
        except UploadError:
            raise
        except (
            UnidentifiedImageError,
            Image.DecompressionBombError,
            Image.DecompressionBombWarning,
            OSError,
            SyntaxError,
            ValueError,
        ) as exc:
            raise UploadError(
                _("This file is not a photo we can read. Please choose a JPEG or PNG picture.")
            ) from exc
    return image


def _encode(image: Image.Image, edge: int, quality: int = 82) -> tuple[bytes, str, tuple[int, int]]:
    image = image.copy()
    image.thumbnail((edge, edge))
    has_alpha = image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info)
    out = io.BytesIO()
    if has_alpha:
        image.convert("RGBA").save(out, "PNG", optimize=True)
        ext = "png"
    else:
        image.convert("RGB").save(out, "JPEG", quality=quality, optimize=True, progressive=True)
        ext = "jpg"
    return out.getvalue(), ext, image.size


def save_image(file: FileStorage, subdir: str, *, max_bytes: int = MAX_IMAGE_BYTES) -> StoredImage:
    """Validate, clean and store one photo; returns the stored names. The caller deletes them
    (delete_stored) if the submission they belong to fails."""
    data = _read_limited(file, max_bytes)
    image = decode_image(data)
    # Phones store rotation in EXIF; apply it, since the re-encoded file carries no EXIF.
    image = ImageOps.exif_transpose(image)
    token = secrets.token_hex(12)
    folder = Path(current_app.config["UPLOAD_FOLDER"]) / subdir
    folder.mkdir(parents=True, exist_ok=True)
    full, ext, size = _encode(image, LONG_EDGE)
    thumb, thumb_ext, _size = _encode(image, THUMB_EDGE, THUMB_QUALITY)
    name, thumb_name = f"{subdir}/{token}.{ext}", f"{subdir}/{token}.thumb.{thumb_ext}"
    (folder / f"{token}.{ext}").write_bytes(full)
    (folder / f"{token}.thumb.{thumb_ext}").write_bytes(thumb)
    return StoredImage(name, thumb_name, size[0], size[1])


def delete_stored(names: list[str]) -> None:
    root = Path(current_app.config["UPLOAD_FOLDER"])
    for name in names:
        (root / name).unlink(missing_ok=True)


def upload_path(name: str) -> Path:
    """Absolute path of a stored upload, refusing anything outside the upload folder."""
    root = Path(current_app.config["UPLOAD_FOLDER"]).resolve()
    path = (root / name).resolve()
    if root not in path.parents:
        raise UploadError(_("No such file."))
    return path
