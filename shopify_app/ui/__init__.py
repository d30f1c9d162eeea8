"""The embedded admin UI: HTML pages (pages.py) and their JSON API (api.py)."""
from flask import Blueprint, Response

bp = Blueprint("ui", __name__)


@bp.after_request
def _no_store(response: Response) -> Response:
    # Codes, keys, and pages that carry a session token must not sit in caches.
    response.headers["Cache-Control"] = "no-store"
    return response


from . import api, automation_api, home, pages, run_actions  # noqa: E402,F401  (routes register on bp)
