"""The Shopify simulator as a process of its own, with any simulator setting
(`python bench/sim_server.py --port 8765 --config '{"SIM_PLANS": {...}}'`).

`python -m shopify_sim` takes only a few settings on its command line; the
benchmark also needs plans of its own (an unlimited rate, to measure the
app alone)."""
from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from shopify_sim import create_app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--config", default="{}", help="JSON object of simulator settings")
    args = parser.parse_args()
    config = {"SIM_BASE_URL": f"http://{args.host}:{args.port}", **json.loads(args.config)}
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    create_app(config).run(host=args.host, port=args.port, threaded=True, use_reloader=False)


if __name__ == "__main__":
    main()
