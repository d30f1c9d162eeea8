"""The Shopify simulator for bench/fairness.py, with Shopify's network latency:
`python bench/fairness_sim.py --port 8765 --latency 0.2 --config '{...}'`.

The simulator answers in a few milliseconds of its own CPU; real Shopify answers
an Admin API call in a few hundred milliseconds of somebody else's CPU. On a
2-CPU machine that runs the simulator beside the app, the first makes the
benchmark measure this machine's CPU; --latency holds every Admin API request
(GraphQL, `/admin/api/`) that long before the simulator sees it, as the
network would, so that a worker waits on Shopify as it does in production.
Everything else is bench/sim_server.py's.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any, Callable, Iterable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from shopify_sim import create_app


def with_latency(wsgi_app: Callable[..., Iterable[bytes]], seconds: float) -> Callable[..., Iterable[bytes]]:
    def delayed(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if "/admin/api/" in environ.get("PATH_INFO", ""):
            time.sleep(seconds)
        return wsgi_app(environ, start_response)
    return delayed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before each Admin API request is served")
    parser.add_argument("--config", default="{}", help="JSON object of simulator settings")
    args = parser.parse_args()
    app = create_app({"SIM_BASE_URL": f"http://{args.host}:{args.port}", **json.loads(args.config)})
    if args.latency > 0:
        app.wsgi_app = with_latency(app.wsgi_app, args.latency)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    app.run(host=args.host, port=args.port, threaded=True, use_reloader=False)


if __name__ == "__main__":
    main()
