"""The hash chain of the ballot log and the published receipt list (pure)."""

from __future__ import annotations

import hashlib

from participation.voting import receipts

LOG = [
    receipts.header_line(7),
    receipts.event_line(1, "ABCDEFGH", "cast", "agree", "online"),
    receipts.event_line(2, "KMNPQRST", "cast", "disagree", "paper"),
    receipts.event_line(3, "ABCDEFGH", "change", "abstain", "online"),
]
FINAL = receipts.final_hash(LOG)
PUBLISHED = {"ABCDEFGH": "abstain", "KMNPQRST": "disagree"}


def test_the_chain_is_what_the_docstring_says():
    h = "0" * 64
    for line in LOG:
        h = hashlib.sha256((h + "\n" + line).encode()).hexdigest()
    assert h == FINAL
    assert LOG[0] == "GJV1|vote=7" and LOG[3] == "3|ABCDEFGH|change|abstain|online"


def test_verify_chain_accepts_the_published_log():
    assert receipts.verify_chain(LOG, FINAL)
    assert receipts.verify_chain(LOG, FINAL.upper())
    assert receipts.verify_publication(LOG, PUBLISHED, FINAL)


def test_altering_any_one_line_breaks_the_chain():
    for index in range(len(LOG)):
        forged = list(LOG)
        forged[index] = forged[index].replace("agree", "disagree").replace("abstain", "agree")
        if forged[index] == LOG[index]:
            forged[index] += "x"
        assert not receipts.verify_chain(forged, FINAL), index


def test_dropping_reordering_or_adding_lines_breaks_the_chain():
    assert not receipts.verify_chain(LOG[:-1], FINAL)
    assert not receipts.verify_chain([LOG[0], LOG[2], LOG[1], LOG[3]], FINAL)
    assert not receipts.verify_chain(
        [*LOG, receipts.event_line(4, "ZZZZZZZZ", "cast", "agree", "online")], FINAL
    )
    assert not receipts.verify_chain([], FINAL)


def test_publication_must_match_the_replayed_log():
    assert receipts.replay(LOG) == PUBLISHED
    assert not receipts.verify_publication(LOG, {**PUBLISHED, "ABCDEFGH": "agree"}, FINAL)
    assert not receipts.verify_publication(LOG, {"ABCDEFGH": "abstain"}, FINAL)


def test_lines_cannot_smuggle_separators():
    import pytest

    with pytest.raises(ValueError):
        receipts.event_line(1, "AB|CD", "cast", "agree", "online")
    with pytest.raises(ValueError):
        receipts.event_line(1, "ABCD\nEF", "cast", "agree", "online")


def test_receipt_codes_are_short_and_unambiguous():
    codes = {receipts.new_receipt() for _ in range(500)}
    assert len(codes) == 500
    for code in codes:
        assert len(code) == 8 and not set(code) & set("01OIL")
    assert receipts.format_receipt("ABCDEFGH") == "ABCD-EFGH"
    assert receipts.normalise_receipt(" abcd-efgh ") == "ABCDEFGH"
