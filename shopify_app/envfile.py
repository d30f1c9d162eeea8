"""`.env` for local runs, the way Flask's own CLI does it (python-dotenv).

`flask` commands load `.env` themselves; the other entry points call
`load_dotenv_file`: gunicorn's config, the worker and the scheduler (through
jobs.context.app_for_entry_point), the metrics exporter and the Shopify
CLI's dev command. Variables already in the environment win, so a
platform's settings are never overridden by a stray file.
"""
from __future__ import annotations

import os


def load_dotenv_file(path: str | None = None) -> str | None:
    """Load `path` (default: `.env` in the working directory) if it exists; its path, or None."""
    from dotenv import load_dotenv
    path = path or os.path.join(os.getcwd(), ".env")
    if not os.path.isfile(path):
        return None
    load_dotenv(path, override=False)
    return path
