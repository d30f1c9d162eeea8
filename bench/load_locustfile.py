"""The locust side of bench/load.py: one endpoint, a fixed number of requests.

bench/load.py runs it headless (`locust -f bench/load_locustfile.py --headless
-u USERS ...`) with the target in environment variables:

    LOAD_ENDPOINT   store | matches | sync | connection
    LOAD_REQUESTS   how many requests in all; the run stops by itself after them
    LOAD_RESULT_FILE  where the figures go (JSON) when locust quits
    LOAD_BRIDGE_TOKEN, LOAD_SYNC_ID, LOAD_MATCH_VALUES (JSON list), LOAD_SHOP,
    LOAD_CLIENT_ID, LOAD_CLIENT_SECRET   what the requests need

Every user sends its requests back to back (no think time): USERS is the
number of requests in flight. Each request takes a ticket first; a user that
finds none left stops, and the request that completes the last ticket stops
the run.
"""
from __future__ import annotations

import json
import os
import time
import uuid

import gevent
from joserfc import jwt
from joserfc.jwk import OctKey
from locust import FastHttpUser, constant, events, task
from locust.exception import StopUser

ENDPOINT = os.environ.get("LOAD_ENDPOINT", "store")
TOTAL = int(os.environ.get("LOAD_REQUESTS", "100"))
# A session token lives a minute (App Bridge fetches a new one as often).
SESSION_TOKEN_SECONDS = 60


class Tickets:
    """Greenlets switch only at I/O, so plain counters are safe here."""

    issued = 0
    completed = 0


def session_token() -> str:
    """What App Bridge sends the admin's API: a JWT signed with the app's secret."""
    shop, now = os.environ["LOAD_SHOP"], int(time.time())
    claims = {"iss": f"https://{shop}/admin", "dest": f"https://{shop}", "aud": os.environ["LOAD_CLIENT_ID"],
              "sub": "1", "exp": now + SESSION_TOKEN_SECONDS, "nbf": now, "iat": now, "jti": uuid.uuid4().hex,
              "sid": uuid.uuid4().hex}
    return jwt.encode({"alg": "HS256", "typ": "JWT"}, claims, OctKey.import_key(os.environ["LOAD_CLIENT_SECRET"]))


@events.quitting.add_listener
def write_figures(environment, **_kwargs) -> None:
    """Locust's own figures of the run, for bench/load.py (its CSV files are
    written periodically, so a short run's may still be empty at the end)."""
    path = os.environ.get("LOAD_RESULT_FILE")
    if not path:
        return
    total = environment.stats.total
    figures = {
        "requests": total.num_requests, "failures": total.num_failures, "requests_per_s": total.total_rps,
        "p50_ms": total.get_response_time_percentile(0.5), "p99_ms": total.get_response_time_percentile(0.99),
        "max_ms": total.max_response_time,
        "failure_kinds": {f"{e.method} {e.name}: {e.error}"[:200]: e.occurrences
                          for e in environment.stats.errors.values()},
    }
    with open(path, "w") as out:
        json.dump(figures, out)


class AssetLinkUser(FastHttpUser):
    wait_time = constant(0)

    def on_start(self) -> None:
        self.bridge = {"Authorization": f"Bearer {os.environ.get('LOAD_BRIDGE_TOKEN', '')}",
                       "Accept": "application/json"}
        self.values = json.loads(os.environ.get("LOAD_MATCH_VALUES", "[]"))
        self.token_at, self.token = 0.0, ""

    def admin_headers(self) -> dict[str, str]:
        if time.time() - self.token_at > SESSION_TOKEN_SECONDS / 2:
            self.token_at, self.token = time.time(), session_token()
        return {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}

    def send(self) -> None:
        if ENDPOINT == "store":
            self.client.get("/bridge/v1/store", headers=self.bridge, name="GET /bridge/v1/store")
        elif ENDPOINT == "matches":
            self.client.post("/bridge/v1/matches", json={"shopify_field": "sku", "values": self.values},
                             headers=self.bridge, name="POST /bridge/v1/matches")
        elif ENDPOINT == "sync":
            self.client.get(f"/bridge/v1/syncs/{os.environ['LOAD_SYNC_ID']}", headers=self.bridge,
                            name="GET /bridge/v1/syncs/{id}")
        elif ENDPOINT == "connection":
            self.client.get("/app/api/connection", headers=self.admin_headers(), name="GET /app/api/connection")
        else:
            raise SystemExit(f"unknown LOAD_ENDPOINT {ENDPOINT!r}")

    @task
    def one_request(self) -> None:
        if Tickets.issued >= TOTAL:
            raise StopUser()
        Tickets.issued += 1
        try:
            self.send()
        finally:
            Tickets.completed += 1
            if Tickets.completed == TOTAL:
                # From a greenlet of its own: quitting stops every user, and a
                # user that quits from its own greenlet is killed half-way
                # through, leaving locust waiting for its time limit.
                gevent.spawn(self.environment.runner.quit)
