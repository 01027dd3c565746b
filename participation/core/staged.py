"""Sheets held between a dry run and its confirmation (register import, paper ballots).

The file waits in the shared upload folder under a random token; the token is bound in the
signed session to this user and to one object (a community, a vote), so it cannot be replayed
from elsewhere. Sheets nobody applied are swept after a day by whichever server stores next."""

from __future__ import annotations

import re
import secrets
import time
from pathlib import Path

from flask import current_app, session

TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
TTL_SECONDS = 24 * 3600
FORMATS = ("csv", "xlsx")
KEEP_PER_SESSION = 5


class StagedSheets:
    def __init__(self, folder: str, session_key: str) -> None:
        self.folder_name = folder
        self.session_key = session_key

    def folder(self) -> Path:
        path = Path(current_app.config["UPLOAD_FOLDER"]) / self.folder_name
        path.mkdir(parents=True, exist_ok=True)
        return path

    def _sweep(self, folder: Path) -> None:
        limit = time.time() - TTL_SECONDS
        for entry in folder.iterdir():
            try:
                if entry.suffix in (".csv", ".xlsx") and entry.stat().st_mtime < limit:
                    entry.unlink()
            except OSError:
                pass  # another server removed it first

    def store(self, bound_to: int, data: bytes, fmt: str) -> str:
        folder = self.folder()
        self._sweep(folder)
        token = secrets.token_urlsafe(24)
        (folder / f"{token}.{fmt}").write_bytes(data)
        staged = dict(session.get(self.session_key, {}))
        staged[token] = bound_to
        session[self.session_key] = dict(list(staged.items())[-KEEP_PER_SESSION:])
        return token

    def stored(self, bound_to: int, token: str) -> Path | None:
        """The staged file, if this session staged it for this object and it is still there."""
        if (
            not TOKEN_RE.match(token or "")
            or session.get(self.session_key, {}).get(token) != bound_to
        ):
            return None
        for fmt in FORMATS:
            path = self.folder() / f"{token}.{fmt}"
            if path.is_file():
                return path
        return None

    def discard(self, token: str, path: Path | None) -> None:
        if path is not None:
            path.unlink(missing_ok=True)
        staged = dict(session.get(self.session_key, {}))
        if staged.pop(token, None) is not None:
            session[self.session_key] = staged
