"""Static files: fingerprinted URLs, a year of immutable caching, precompressed bodies.

`url_for('static', filename='css/app.css')` (and the templates' `static_url('css/app.css')`)
builds `/static/css/app.<hash>.css`, the hash being the first 10 hex digits of the file's
SHA-256. The static view serves such a URL with `Cache-Control: public, max-age=31536000,
immutable`, so a phone downloads each version of a file once; a new version has a new URL.
A URL without (or with an outdated) hash still works but must be revalidated (`no-cache` with an
ETag). Bodies are compressed once per process at the highest brotli and gzip levels and kept in
memory (the whole static folder is about 100 kB), so a reverse proxy need not do anything.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

import brotli
from flask import Flask, Response, abort, request
from werkzeug.security import safe_join

ONE_YEAR = 365 * 24 * 3600
HASH_LEN = 10
FINGERPRINT = re.compile(
    rf"^(?P<stem>.+)\.(?P<hash>[0-9a-f]{{{HASH_LEN}}})(?P<ext>\.[A-Za-z0-9]+)$"
)
COMPRESSIBLE = {
    "text/css",
    "text/javascript",
    "application/javascript",
    "application/json",
    "image/svg+xml",
    "image/x-icon",
    "image/vnd.microsoft.icon",
    "text/plain",
}
MIN_COMPRESS = 256  # smaller bodies gain nothing worth a header


@dataclass
class _File:
    path: Path
    mtime_ns: int
    size: int
    data: bytes
    digest: str
    mimetype: str
    encoded: dict[str, bytes] = field(default_factory=dict)

    def body(self, encoding: str | None) -> bytes:
        if encoding is None:
            return self.data
        out = self.encoded.get(encoding)
        if out is None:
            if encoding == "br":
                out = brotli.compress(self.data, quality=11)
            else:
                out = gzip.compress(self.data, compresslevel=9, mtime=0)
            self.encoded[encoding] = out
        return out


def _accepted(header: str) -> set[str]:
    """Codings the client accepts (q > 0), from an Accept-Encoding header."""
    accepted = set()
    for part in header.lower().split(","):
        name, _, params = part.strip().partition(";")
        q = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                q = float(params[2:])
            except ValueError:
                q = 0.0
        if name and q > 0:
            accepted.add(name.strip())
    return accepted


class StaticFiles:
    def __init__(self, folder: str | os.PathLike) -> None:
        self.folder = Path(folder)
        self._files: dict[str, _File] = {}
        self._lock = threading.Lock()

    def get(self, filename: str) -> _File | None:
        """The file's current content (re-read when it changed on disk), or None."""
        joined = safe_join(str(self.folder), filename)
        if joined is None:
            return None
        path = Path(joined)
        try:
            st = path.stat()
        except OSError:
            return None
        if not path.is_file():
            return None
        cached = self._files.get(filename)
        if cached is not None and cached.mtime_ns == st.st_mtime_ns and cached.size == st.st_size:
            return cached
        data = path.read_bytes()
        mimetype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if path.suffix == ".js":
            mimetype = "text/javascript"
        entry = _File(
            path=path,
            mtime_ns=st.st_mtime_ns,
            size=st.st_size,
            data=data,
            digest=hashlib.sha256(data).hexdigest()[:HASH_LEN],
            mimetype=mimetype,
        )
        with self._lock:
            self._files[filename] = entry
        return entry

    def fingerprinted(self, filename: str) -> str:
        """`css/app.css` → `css/app.<hash>.css`; a missing file keeps its name (and 404s)."""
        entry = self.get(filename)
        if entry is None:
            return filename
        stem, dot, ext = filename.rpartition(".")
        if not dot or "/" in ext:
            return f"{filename}.{entry.digest}"
        return f"{stem}.{entry.digest}.{ext}"

    def resolve(self, requested: str) -> tuple[_File | None, bool]:
        """(file, immutable): a URL whose hash matches the content is cacheable for a year."""
        match = FINGERPRINT.match(requested)
        if match:
            entry = self.get(match["stem"] + match["ext"])
            if entry is not None:
                return entry, entry.digest == match["hash"]
        return self.get(requested), False

    def response(self, entry: _File, *, max_age: int = 0, immutable: bool = False) -> Response:
        encoding = None
        if entry.mimetype in COMPRESSIBLE and entry.size >= MIN_COMPRESS:
            accepted = _accepted(request.headers.get("Accept-Encoding", ""))
            encoding = "br" if "br" in accepted else "gzip" if "gzip" in accepted else None
        resp = Response(entry.body(encoding), mimetype=entry.mimetype)
        if encoding:
            resp.headers["Content-Encoding"] = encoding
        resp.vary.add("Accept-Encoding")
        resp.set_etag(entry.digest + (f"-{encoding}" if encoding else ""))
        cc = resp.cache_control
        cc.public = True
        if immutable:
            cc.max_age = ONE_YEAR
            cc.immutable = True
        elif max_age:
            cc.max_age = max_age
        else:
            cc.no_cache = True
        return resp.make_conditional(request)


def init_app(app: Flask) -> StaticFiles:
    files = StaticFiles(app.static_folder or "static")
    app.extensions["gongjian_static"] = files

    def static(filename: str):
        entry, immutable = files.resolve(filename)
        if entry is None:
            abort(404)
        return files.response(entry, immutable=immutable)

    # Replace Flask's static view (same endpoint and rule), so url_for('static', ...) keeps working.
    app.view_functions["static"] = static

    @app.url_defaults
    def _fingerprint(endpoint: str | None, values: dict) -> None:
        if endpoint == "static" and "filename" in values:
            values["filename"] = files.fingerprinted(values["filename"])

    return files
