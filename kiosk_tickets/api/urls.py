"""The API's blueprint and the URL prefixes its route modules share."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

ORG = "/organizers/<organizer>"
EVENT = ORG + "/events/<event>"
