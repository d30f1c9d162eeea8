"""Every long-running entry point reads `.env` from its working directory
(issue 13: `.env` loading for local runs), as `honcho start` or `bin/serve`
run them: started from a directory whose `.env` holds a complete
configuration, each gets past its settings check."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.support import API_KEY, API_SECRET, ENCRYPTION_KEY

ENV_FILE = f"""SHOPIFY_API_KEY={API_KEY}
SHOPIFY_API_SECRET={API_SECRET}
APP_URL=https://app.example.test
SECRET_KEY=dotenv-secret-key
TOKEN_ENCRYPTION_KEY={ENCRYPTION_KEY}
DATABASE_URL=sqlite:///dotenv.sqlite3
# Jobs in the web process: both entry points then stop at once, saying so.
RQ_IS_ASYNC=false
"""


@pytest.mark.parametrize("module", ["jobs.scheduler", "jobs.worker"])
def test_an_entry_point_reads_dotenv_from_its_directory(tmp_path, module):
    env = {k: v for k, v in os.environ.items()
           if k not in ("SHOPIFY_API_KEY", "SHOPIFY_API_SECRET", "APP_URL", "SECRET_KEY", "TOKEN_ENCRYPTION_KEY",
                        "DATABASE_URL", "RQ_IS_ASYNC")}

    def run() -> str:
        done = subprocess.run([sys.executable, "-m", module], cwd=tmp_path, env=env, capture_output=True,
                              text=True, timeout=60)
        assert done.returncode != 0
        return done.stderr

    assert "missing required setting" in run()   # no .env: the settings check stops it
    (tmp_path / ".env").write_text(ENV_FILE)
    out = run()
    assert "missing required setting" not in out and "RQ_IS_ASYNC is off" in out, out
