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
]


def register_blueprints(app: Flask) -> None:
    for module_name, attr in BLUEPRINTS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            # Allows building features one at a time; a missing module of ours is skipped,
            # a missing dependency is not.
            if exc.name != module_name:
                raise
            continue
        app.register_blueprint(getattr(module, attr))
