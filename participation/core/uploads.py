"""Shared upload handling: every file is judged by its content, not its name.

Photos are decoded with Pillow, rotated upright, re-encoded without metadata (EXIF GPS and all),
resized for phones and given a thumbnail; anything Pillow cannot decode, a decompression bomb or
an oversized file is refused with a message in the user's language. Stored names are random."""

from __future__ import annotations

import io
import os
import secrets
import warnings
from dataclasses import dataclass
from pathlib import Path

from flask import abort, current_app, send_file
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
# Lists show a photo as a 64–96 CSS px square (object-fit: cover): the small copy is that
# square, centre-cropped, at 120 px, as sharp as the 160×120 a cover crop of a wider copy would
# show, for about half a thumbnail's bytes; it keeps a list of photos inside the first-load budget.
SMALL_EDGE = 120
SMALL_QUALITY = 70
SIZES = ("full", "thumb", "small")


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


def _encode(
    image: Image.Image, edge: int, quality: int = 82, *, square: bool = False
) -> tuple[bytes, str, tuple[int, int]]:
    if square:
        image = ImageOps.fit(image, (edge, edge))
    else:
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
    small, small_ext, _size = _encode(image, SMALL_EDGE, SMALL_QUALITY, square=True)
    (folder / f"{token}.{ext}").write_bytes(full)
    (folder / f"{token}.thumb.{thumb_ext}").write_bytes(thumb)
    (folder / f"{token}.small.{small_ext}").write_bytes(small)
    return StoredImage(name, thumb_name, size[0], size[1])


def small_name(thumb: str) -> str:
    """The list-sized copy stored beside a thumbnail: `issues/ab.thumb.jpg` -> `issues/ab.small.jpg`."""
    stem, found, ext = thumb.rpartition(".thumb.")
    return f"{stem}.small.{ext}" if found else ""


def delete_stored(names: list[str]) -> None:
    """Delete stored files; a thumbnail takes its list-sized copy with it."""
    root = Path(current_app.config["UPLOAD_FOLDER"])
    for name in names:
        (root / name).unlink(missing_ok=True)
        if small_name(name):
            (root / small_name(name)).unlink(missing_ok=True)


def _ensure_small(thumb: str) -> Path:
    """The list-sized copy of a thumbnail, made from it on first request for photos stored before
    copies were (the thumbnail is our own re-encoded file, so decoding it is safe)."""
    path = upload_path(small_name(thumb) or thumb)
    if path.is_file() or not small_name(thumb):
        return path
    source = upload_path(thumb)
    if not source.is_file():
        return path
    with Image.open(source) as image:
        image.load()
        data, _ext, _size = _encode(image, SMALL_EDGE, SMALL_QUALITY, square=True)
    # Written aside and renamed: a concurrent request sees the whole file or none.
    partial = path.with_name(f"{path.name}.{secrets.token_hex(4)}.part")
    partial.write_bytes(data)
    os.replace(partial, path)
    return path


def send_upload(name: str, thumb: str = "", size: str = "full"):
    """Answer a stored photo in the size asked for (full, thumb or small): 404 when it is gone.
    The view has already checked who may see it."""
    try:
        if size == "small" and thumb:
            path = _ensure_small(thumb)
        else:
            path = upload_path(thumb if size in ("thumb", "small") and thumb else name)
    except UploadError:
        abort(404)
    if not path.is_file():
        abort(404)
    response = send_file(path, conditional=True, max_age=0)
    # Files never change (random names) but are only for members: private caches only.
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response


def upload_path(name: str) -> Path:
    """Absolute path of a stored upload, refusing anything outside the upload folder."""
    root = Path(current_app.config["UPLOAD_FOLDER"]).resolve()
    path = (root / name).resolve()
    if root not in path.parents:
        raise UploadError(_("No such file."))
    return path
