"""Placeholder blueprint: filled in by its feature."""

from flask import Blueprint, abort

bp = Blueprint("invites", __name__, url_prefix="/c/<code>/invites")


@bp.get("/")
def index(code: str):
    abort(404)
