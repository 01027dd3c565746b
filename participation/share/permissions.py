"""Step 5 actions for the permission module (participation.core.permissions).

| action          | roles                                      |
|-----------------|--------------------------------------------|
| board.view      | every member of the community, the city    |
| rating.view     | every member of the community, the city    |
| rating.rate     | residents (owner, family, tenant) of it    |
| rating.manage   | committee                                  |
| photos.manage   | committee                                  |
| export.register | committee (masked phones and names)        |
| export.ballots  | committee only (receipt, unit, channel, choice) |
| export.records  | committee, city (ratings)                  |
| export.archive  | committee only (pledges, issues: homes and masked people) |
| dashboard.city  | city                                       |

"Residents see only their community's board": board.view needs a role in that community, which
a resident of another community does not have. The city role spans every community.
"""

from __future__ import annotations

from ..core.permissions import CITY, COMMITTEE, MEMBERS, OWNER, RESIDENT, register

register("board.view", MEMBERS)
register("rating.view", MEMBERS)
register("rating.rate", {RESIDENT, OWNER})
register("rating.manage", {COMMITTEE})
register("photos.manage", {COMMITTEE})
register("export.register", {COMMITTEE})
register("export.ballots", {COMMITTEE})
register("export.records", {COMMITTEE, CITY})
register("export.archive", {COMMITTEE})
register("dashboard.city", {CITY})

ACTIONS = (
    "board.view",
    "rating.view",
    "rating.rate",
    "rating.manage",
    "photos.manage",
    "export.register",
    "export.ballots",
    "export.records",
    "export.archive",
    "dashboard.city",
)
