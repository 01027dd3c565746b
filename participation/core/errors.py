"""Domain errors: a refusal with a message the user can read, raised by services."""

from __future__ import annotations


class DomainError(Exception):
    """A rule refused the action; `message` is shown to the user (already translated)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(str(message))
        self.message = str(message)
        self.field = field
