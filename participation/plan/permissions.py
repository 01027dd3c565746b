"""Menu actions for the permission module (participation.core.permissions).

| action     | roles                          |
|------------|--------------------------------|
| menu.view  | every member of the community  |
| menu.edit  | committee                      |

Hidden items are shown to those who may edit the menu only (views filter them).
"""

from __future__ import annotations

from ..core.permissions import COMMITTEE, MEMBERS, register

register("menu.view", MEMBERS)
register("menu.edit", {COMMITTEE})

ACTIONS = ("menu.view", "menu.edit")

# The household survey (survey.py): every member sees it, residents answer for their units
# (checked by the service), the committee opens and closes rounds.
register("survey.view", MEMBERS)
register("survey.manage", {COMMITTEE})

ACTIONS = (*ACTIONS, "survey.view", "survey.manage")
