"""The voting engine shared by every step: electorates, rules, ballots, tally, receipts.

rules.py, receipts.py and ballot_import.py are pure; services.py holds the use cases;
permissions.py registers the vote.* actions and gates.py the "consult" step gate (a passed
willingness vote before planning), both imported here so they exist once the package is.
"""

from . import gates as gates  # noqa: F401  (registers the consult step gate)
from . import permissions as permissions  # noqa: F401  (registers the vote.* actions)
