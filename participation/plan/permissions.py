"""Menu actions for the permission module (participation.core.permissions).

| action     | roles                          |
|------------|--------------------------------|
| menu.view  | every member of the community  |
| menu.edit  | committee                      |

Hidden items are shown to those who may edit the menu only (views filter them).
"""

from __future__ import annotations

from ..core.permissions import CITY, COMMITTEE, MEMBERS, register

register("menu.view", MEMBERS)
register("menu.edit", {COMMITTEE})

ACTIONS = ("menu.view", "menu.edit")

# The household survey (survey.py): every member sees it, residents answer for their units
# (checked by the service), the committee opens and closes rounds.
register("survey.view", MEMBERS)
register("survey.manage", {COMMITTEE})

ACTIONS = (*ACTIONS, "survey.view", "survey.manage")

# The costed plan (plans.py). Published versions (posted for comment, voted, adopted, rejected,
# superseded) are read by every member; drafts only by those who edit. Each resident sees the
# estimated share of their own unit(s) on the plan page; the table of every unit's share is for
# the committee and the city (areas of all units, no names). Printing follows viewing.
#
# | action        | roles                          |
# |---------------|--------------------------------|
# | plan.view     | every member of the community  |
# | plan.edit     | committee                      |
# | plan.shares   | committee, city                |
register("plan.view", MEMBERS)
register("plan.edit", {COMMITTEE})
register("plan.shares", {COMMITTEE, CITY})

ACTIONS = (*ACTIONS, "plan.view", "plan.edit", "plan.shares")
