"""Blueprint registry for the core package; feature packages are registered here too."""

from __future__ import annotations

import importlib

from flask import Flask

# (module, blueprint attribute); a feature adds its line here.
BLUEPRINTS = [
    ("participation.core.views.main", "bp"),
    ("participation.core.views.auth", "bp"),
    ("participation.core.views.committee", "bp"),
    ("participation.core.views.register", "bp"),
    ("participation.core.views.invites", "bp"),
    ("participation.core.views.admin", "bp"),
    ("participation.api.views", "bp"),  # issue 3: /api/v1
    ("participation.consult.views", "bp"),  # issue 3: step 1 topics and discussion
    ("participation.voting.views", "bp"),  # issue 3: vote pages
    ("participation.plan.views", "bp"),  # issue 4: step 2 renovation menu
    ("participation.plan.api", "bp"),  # issue 4: /api/v1/communities/<code>/plan
    ("participation.pledge.views", "bp"),  # issue 5: step 3 pledges and the public ledger
    ("participation.pledge.api", "bp"),  # issue 5: /api/v1/communities/<code>/funding
    ("participation.ideas.views", "bp"),  # issue 4: step 2 residents' ideas
    ("participation.share.views", "bp"),  # issue 7: step 5 board, ratings, city, exports
    ("participation.share.api", "bp"),  # issue 7: /api/v1/communities
    ("participation.build.views", "bp"),  # issue 6: step 4 issues and construction log
    ("participation.build.views", "api_bp"),  # issue 6: /api/v1/communities/<code>/issues/stats
]


def register_blueprints(app: Flask) -> None:
    for module_name, attr in BLUEPRINTS:
        app.register_blueprint(getattr(importlib.import_module(module_name), attr))
