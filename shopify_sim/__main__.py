"""python -m shopify_sim --port 8765"""
from __future__ import annotations

import argparse
import os

from . import create_app
from .downloads import OriginsError, parse_origins


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m shopify_sim", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--processing-delay", type=float, default=None,
                        help="seconds files and media take to become READY")
    parser.add_argument("--webhook-retry-scale", type=float, default=None,
                        help="multiply Shopify's webhook retry schedule (4 h) by this factor")
    parser.add_argument("--fetch-origin", action="append", default=[], metavar="ORIGIN=BASE_URL",
                        help="download sources of ORIGIN (e.g. https://res.cloudinary.com) from BASE_URL, path kept "
                             "(repeatable; '*' for every other origin). Unmapped origins are unreachable. "
                             "Default: the SIM_FETCH_ORIGINS environment variable")
    args = parser.parse_args()
    config: dict = {"SIM_BASE_URL": f"http://{args.host}:{args.port}"}
    origins = ",".join(args.fetch_origin) or os.environ.get("SIM_FETCH_ORIGINS", "")
    try:
        config["SIM_FETCH_ORIGINS"] = parse_origins(origins)
    except OriginsError as exc:
        parser.error(str(exc))
    if args.processing_delay is not None:
        config["SIM_PROCESSING_DELAY"] = args.processing_delay
    if args.webhook_retry_scale is not None:
        config["SIM_WEBHOOK_RETRY_SCALE"] = args.webhook_retry_scale
    app = create_app(config)
    app.run(host=args.host, port=args.port, threaded=True, use_reloader=False)


if __name__ == "__main__":
    main()
