"""`shopify app dev` starts the app through this (shopify.web.toml → bin/shopify-dev).

The Shopify CLI runs the web command with its own variables (Shopify/cli,
packages/app/src/cli/services/dev/processes/web.ts): SHOPIFY_API_KEY and
SHOPIFY_API_SECRET (the same names the app uses), HOST and APP_URL (the
tunnel's https URL), SCOPES (from shopify.app.toml), PORT (where the CLI's
proxy expects the app), BACKEND_PORT/FRONTEND_PORT. `cli_environment` maps
them to the app's names; the rest (SECRET_KEY, TOKEN_ENCRYPTION_KEY,
DATABASE_URL, ...) comes from `.env`. Then the Flask development server
serves the app on 127.0.0.1:PORT.
"""
from __future__ import annotations

import os
import sys
from typing import Mapping


def cli_environment(env: Mapping[str, str]) -> dict[str, str]:
    """The app's environment, given the one the Shopify CLI passes."""
    out = dict(env)
    url = env.get("APP_URL") or env.get("HOST") or ""
    if url:
        if "://" not in url:  # older CLIs passed the host alone
            url = "https://" + url
        out["APP_URL"] = url.rstrip("/")
    if env.get("SCOPES"):
        out["SHOPIFY_SCOPES"] = env["SCOPES"]
    out["PORT"] = env.get("PORT") or env.get("BACKEND_PORT") or "8000"
    # The tunnel is the app's only proxy.
    out.setdefault("TRUSTED_PROXIES", "1")
    out.setdefault("LOG_FORMAT", "text")
    return out


def main() -> None:
    from .envfile import load_dotenv_file
    load_dotenv_file()
    env = cli_environment(os.environ)
    argv = [sys.executable, "-m", "flask", "--app", "shopify_app", "run", "--host", "127.0.0.1",
            "--port", env["PORT"], "--no-reload"]
    os.execve(sys.executable, argv, env)


if __name__ == "__main__":
    main()
