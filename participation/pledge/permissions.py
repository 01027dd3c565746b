"""Step 3 actions for the permission module (participation.core.permissions).

| action          | roles                                  | when                          |
|-----------------|----------------------------------------|-------------------------------|
| pledge.view     | every member of the community          |                               |
| pledge.make     | residents (owner, family, tenant)      | while step 3 is the current one |
| pledge.manage   | committee                              | confirm, cancel, funding plan, reward rule, spending |

The public ledger (funding plan, totals, reward, spending, honour roll) and its JSON are open to
everybody, logged in or not (民法典 Art. 281 disclosure): they hold aggregates, names only of
residents who opted in, and masked names otherwise. The list of pledges with names and homes is
the committee's only. Withdrawing is allowed to the pledge's author (checked by the service).
"""

from __future__ import annotations

from typing import Any

from ..core.permissions import COMMITTEE, MEMBERS, RESIDENT, register


def _step_open(user: Any, community: Any, obj: Any) -> bool:  # noqa: ARG001
    from .services import pledging_open

    return community is not None and pledging_open(community)


register("pledge.view", MEMBERS)
register("pledge.make", {RESIDENT}, _step_open)
register("pledge.manage", {COMMITTEE})

ACTIONS = ("pledge.view", "pledge.make", "pledge.manage")
