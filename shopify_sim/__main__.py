"""python -m shopify_sim --port 8765"""
from __future__ import annotations

import argparse

from . import create_app


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m shopify_sim", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--processing-delay", type=float, default=None,
                        help="seconds files and media take to become READY")
    parser.add_argument("--webhook-retry-scale", type=float, default=None,
                        help="multiply Shopify's webhook retry schedule (4 h) by this factor")
    args = parser.parse_args()
    config = {"SIM_BASE_URL": f"http://{args.host}:{args.port}"}
    if args.processing_delay is not None:
        config["SIM_PROCESSING_DELAY"] = args.processing_delay
    if args.webhook_retry_scale is not None:
        config["SIM_WEBHOOK_RETRY_SCALE"] = args.webhook_retry_scale
    app = create_app(config)
    app.run(host=args.host, port=args.port, threaded=True, use_reloader=False)


if __name__ == "__main__":
    main()
