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
]


def register_blueprints(app: Flask) -> None:
    for module_name, attr in BLUEPRINTS:
        app.register_blueprint(getattr(importlib.import_module(module_name), attr))
