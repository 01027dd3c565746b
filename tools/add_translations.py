"""Add or update zh_Hans translations from a JSON file: {"msgid": "译文", ...}.

Several people (and helpers) add messages at once; this takes a file lock around the read and
write of messages.po so that no one's entries are lost. Plural msgids: use the singular msgid
as the key and a list of forms as the value. Run `make messages` afterwards to sort and
normalise the catalogue (also under the lock).
"""

from __future__ import annotations

import fcntl
import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
PO = ROOT / "translations" / "zh_Hans" / "LC_MESSAGES" / "messages.po"
LOCK = ROOT / "translations" / ".lock"


def main(paths: list[str]) -> int:
    entries: dict[str, str | list[str]] = {}
    for path in paths:
        entries.update(json.loads(Path(path).read_text(encoding="utf-8")))
    with LOCK.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        with PO.open("rb") as fh:
            catalog = read_po(fh, locale="zh_Hans")
        for msgid, msgstr in entries.items():
            existing = catalog.get(msgid)
            if isinstance(msgstr, list):
                if existing is None:
                    catalog.add((msgid, msgid), tuple(msgstr))
                else:
                    existing.string = tuple(msgstr)
                    existing.flags.discard("fuzzy")
            elif existing is None:
                catalog.add(msgid, msgstr)
            else:
                existing.string = msgstr
                existing.flags.discard("fuzzy")
        with PO.open("wb") as fh:
            write_po(fh, catalog, sort_output=True, ignore_obsolete=True, include_previous=False)
    print(f"{len(entries)} translations written to {PO.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
