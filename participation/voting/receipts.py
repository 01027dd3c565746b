"""Receipt codes and the hash-chained ballot log. PURE: hashlib and secrets only.

Every ballot has a receipt code (8 characters, no 0/O/1/I/L, shown as ``ABCD-EFGH``). It stays
the same when the owner changes their ballot, so one code is all an owner keeps. The code is
random: it identifies the ballot to its owner and to nobody else.

The ballot log is every event of a vote (a first cast, a change, a committee's supersede) in the
order they were written. When the vote closes it is *sealed*: the events are numbered 1..n and
chained, and the final hash is published with the result. What exactly is hashed:

* The published log is a list of text lines. Line 0 is the header ``GJV1|vote=<vote id>``;
  then one line per event: ``<seq>|<receipt>|<kind>|<choice>|<channel>``, e.g.
  ``17|ABCDEFGH|change|agree|online``. kind is cast, change or supersede; channel is online,
  paper or proxy. No names, rooms, times or areas: nothing in the log points to a person. (Times
  are left out on purpose: "code X changed at 10:03" could be matched with who was seen voting.)
* The chain starts from 64 zeros; for each line, ``h = sha256(h + "\\n" + line)`` as lowercase
  hex, text encoded as UTF-8. The final ``h`` is the final hash.
* The published receipt list (each code with its final choice) must equal the log replayed: the
  last event of each receipt gives its choice. `verify_publication` checks both.

Anyone can recompute it, for instance in a shell::

    python -c "import hashlib,sys,json; h='0'*64
    for l in json.load(sys.stdin)['log']: h=hashlib.sha256((h+'\\n'+l).encode()).hexdigest()
    print(h)" < receipts.json
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable, Mapping, Sequence

LOG_VERSION = "GJV1"
GENESIS = "0" * 64
# No 0/O, 1/I/L: codes are read off paper and screens by elderly residents.
RECEIPT_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
RECEIPT_LENGTH = 8
KINDS = ("cast", "change", "supersede")
_FIELD_RE = re.compile(r"^[0-9A-Za-z_]+$")


def new_receipt() -> str:
    return "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(RECEIPT_LENGTH))


def format_receipt(code: str) -> str:
    return f"{code[:4]}-{code[4:]}" if len(code) == RECEIPT_LENGTH else code


def normalise_receipt(raw: str) -> str:
    return re.sub(r"[\s\-]", "", raw or "").upper()


def header_line(vote_id: int) -> str:
    return f"{LOG_VERSION}|vote={int(vote_id)}"


def event_line(seq: int, receipt: str, kind: str, choice: str, channel: str) -> str:
    for value in (receipt, kind, choice, channel):
        if not _FIELD_RE.match(value):
            raise ValueError(f"not a log field: {value!r}")
    return f"{int(seq)}|{receipt}|{kind}|{choice}|{channel}"


def next_hash(previous: str, line: str) -> str:
    return hashlib.sha256(f"{previous}\n{line}".encode()).hexdigest()


def chain(lines: Iterable[str]) -> list[str]:
    """The hash after each line."""
    hashes = []
    h = GENESIS
    for line in lines:
        h = next_hash(h, line)
        hashes.append(h)
    return hashes


def final_hash(lines: Iterable[str]) -> str:
    h = GENESIS
    for line in lines:
        h = next_hash(h, line)
    return h


def verify_chain(published_lines: Sequence[str], final: str) -> bool:
    """True when the published lines hash to the published final hash."""
    if not published_lines or any("\n" in line for line in published_lines):
        return False
    return final_hash(published_lines) == (final or "").strip().lower()


def replay(published_lines: Sequence[str]) -> dict[str, str]:
    """Each receipt's final choice, replaying the event lines (the header is skipped)."""
    choices: dict[str, str] = {}
    for line in published_lines[1:]:
        parts = line.split("|")
        if len(parts) != 5:
            raise ValueError(f"not a log line: {line!r}")
        _seq, receipt, _kind, choice, _channel = parts
        choices[receipt] = choice
    return choices


def verify_publication(
    published_lines: Sequence[str], receipts: Mapping[str, str], final: str
) -> bool:
    """The chain hashes to `final`, its lines are numbered 1..n after the header, and replaying
    it gives exactly the published receipt list (code -> choice)."""
    if not verify_chain(published_lines, final):
        return False
    if not published_lines[0].startswith(f"{LOG_VERSION}|"):
        return False
    try:
        seqs = [int(line.split("|", 1)[0]) for line in published_lines[1:]]
        replayed = replay(published_lines)
    except ValueError:
        return False
    if seqs != list(range(1, len(seqs) + 1)):
        return False
    return replayed == dict(receipts)
