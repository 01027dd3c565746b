"""Placeholder: filled in by its feature."""

from flask import Flask


def init_app(app: Flask) -> None:
    pass
