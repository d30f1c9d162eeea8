"""The bridge the Cloudinary side of AssetLink calls (contract: the bridge v1 spec,
published as OpenAPI at /bridge/v1/openapi.json).

Layout: `auth` (bearer token -> g.credential, g.shop), `errors` (problem
documents, body parsing), `limits` (failed-attempt rate limits), one module
per resource (`connect`, `store`, `settings`, `fields`, `matches`, `syncs`,
`uploads`, `links`, `automation` and `automation_notifications`;
`batch_requests` is what the three batch kinds share;
the work behind them is the engine's, in `jobs`),
`openapi` (the document, from the views' declarations) and `client` (a
Python client for the API).
"""
from flask import Blueprint

bp = Blueprint("bridge", __name__, url_prefix="/bridge/v1")

from . import auth, errors, limits  # noqa: E402

bp.before_request(auth.authenticate)
errors.register(bp)
bp.record_once(lambda state: limits.init_app(state.app))

from . import connect, fields, matches, openapi, settings, store  # noqa: E402,F401
from . import syncs  # noqa: E402,F401
from . import links, uploads  # noqa: E402,F401
from . import automation, automation_notifications  # noqa: E402,F401
