"""Personal-information helpers (PIPL): masking for display."""

from __future__ import annotations


def mask_phone(phone: str | None) -> str:
    """138****1234 for an 11-digit mobile; shorter numbers keep only their last two digits."""
    digits = (phone or "").strip()
    if not digits:
        return ""
    if len(digits) >= 11:
        return f"{digits[:3]}****{digits[-4:]}"
    return "*" * max(len(digits) - 2, 0) + digits[-2:]


def mask_name(name: str | None) -> str:
    """张** : the family name only, as on public honour rolls without opt-in."""
    name = (name or "").strip()
    if not name:
        return ""
    return name[0] + "*" * max(len(name) - 1, 1)
