"""Placeholder blueprint: filled in by its feature."""

from flask import Blueprint, abort

bp = Blueprint("register", __name__, url_prefix="/c/<code>/register")


@bp.get("/")
def index(code: str):
    abort(404)
