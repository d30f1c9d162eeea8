"""python -m cloudinary_sim --port 8766"""
from __future__ import annotations

import argparse

from . import create_app


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m cloudinary_sim", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--delivery-origin", default=None,
                        help="origin written into url/secure_url (default https://res.cloudinary.com; "
                             "give this server's URL to open delivery URLs directly)")
    parser.add_argument("--notification-retry-scale", type=float, default=None,
                        help="multiply Cloudinary's notification retry schedule (3, 6, 9 minutes) by this factor")
    args = parser.parse_args()
    config: dict[str, object] = {}
    if args.delivery_origin:
        config["SIM_DELIVERY_ORIGIN"] = args.delivery_origin.rstrip("/")
    if args.notification_retry_scale is not None:
        config["SIM_NOTIFICATION_RETRY_SCALE"] = args.notification_retry_scale
    app = create_app(config)
    app.run(host=args.host, port=args.port, threaded=True, use_reloader=False)


if __name__ == "__main__":
    main()
