"""Topic attachments on disk: photos go through core.uploads (re-encoded, metadata removed);
PDFs are judged by their content (the %PDF- signature), not by their name or stated type, and
stored under UPLOAD_FOLDER/topics/ with a random name."""

from __future__ import annotations

import secrets
import unicodedata
from dataclasses import dataclass
from pathlib import Path, PurePath

from flask import current_app
from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage

from ..core.uploads import UploadError

SUBDIR = "topics"
PDF_MAGIC = b"%PDF-"
PDF_MAX_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class StoredPdf:
    name: str  # relative to UPLOAD_FOLDER, e.g. "topics/ab12….pdf"
    size: int


def is_pdf(file: FileStorage) -> bool:
    """Peek at the first bytes (the stream is rewound)."""
    head = file.stream.read(len(PDF_MAGIC))
    file.stream.seek(0)
    return head == PDF_MAGIC


def save_pdf(file: FileStorage, *, max_bytes: int = PDF_MAX_BYTES) -> StoredPdf:
    data = file.stream.read(max_bytes + 1)
    if not data:
        raise UploadError(_("The file is empty."))
    if len(data) > max_bytes:
        raise UploadError(
            _("The file is too large (at most %(mb)d MB).", mb=max_bytes // (1024 * 1024))
        )
    if not data.startswith(PDF_MAGIC):
        raise UploadError(_("Only photos (JPEG, PNG, WebP) and PDF documents can be attached."))
    folder = Path(current_app.config["UPLOAD_FOLDER"]) / SUBDIR
    folder.mkdir(parents=True, exist_ok=True)
    token = secrets.token_hex(12)
    (folder / f"{token}.pdf").write_bytes(data)
    return StoredPdf(f"{SUBDIR}/{token}.pdf", len(data))


def display_name(filename: str | None, fallback: str) -> str:
    """The sender's file name without folders or control characters, for display and as the
    download name; `fallback` when nothing is left."""
    name = PurePath((filename or "").replace("\\", "/")).name
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    return name[:120] or fallback
