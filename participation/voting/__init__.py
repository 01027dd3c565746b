"""The voting engine shared by every step: electorates, rules, ballots, tally, receipts.

rules.py, receipts.py and ballot_import.py are pure; services.py holds the use cases;
permissions.py registers the vote.* actions (imported here so they exist once the package is).
"""

from . import permissions as permissions  # noqa: F401  (registers the vote.* actions)
