"""A Python client for the bridge, used the way the Cloudinary side uses it.

    bridge = BridgeClient("https://assetlink.example")
    bridge.connect("alc_...", cloud_name="acme")      # keeps the token
    bridge.put_settings({"default_transformation": "w_1200,h_1200,c_fill"})
    bridge.matches("sku", ["ABC-1", "XYZ"])
    sync = bridge.create_sync({...}, idempotency_key="...")
    bridge.wait_for_sync(sync["id"])

Every non-2xx answer raises `BridgeError` carrying the problem document.
Only `requests` is needed, so automation scripts can vendor this file.
"""
from __future__ import annotations

import time
import uuid
from typing import Any, Iterable, Mapping

import requests

# The contract's words for an ended batch, spelled out: this file depends on
# `requests` alone (tests check it against shopify_app.batch_status.FINISHED).
TERMINAL_STATUSES = frozenset({"succeeded", "partially_succeeded", "failed", "aborted"})


class BridgeError(Exception):
    """The bridge refused a call; `problem` is its RFC 9457 document."""

    def __init__(self, status: int, problem: Mapping[str, Any], headers: Mapping[str, str] | None = None) -> None:
        detail = problem.get("detail") or problem.get("title") or f"HTTP {status}"
        super().__init__(f"{status}: {detail}")
        self.status = status
        self.problem = dict(problem)
        self.headers = dict(headers or {})

    @property
    def errors(self) -> list[dict[str, str]]:
        return list(self.problem.get("errors") or [])

    @property
    def retry_after(self) -> float | None:
        try:
            return float(self.headers.get("Retry-After", ""))
        except ValueError:
            return None


class BridgeClient:
    def __init__(self, base_url: str, token: str | None = None, *, session: requests.Session | None = None,
                 timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/") + "/bridge/v1"
        self.token = token
        self.session = session or requests.Session()
        self.timeout = timeout
        self.signing_secret: str | None = None
        self.connection_id: str | None = None

    # -- transport ----------------------------------------------------------
    def request(self, method: str, path: str, *, json: Any = None, params: Mapping[str, Any] | None = None,
                headers: Mapping[str, str] | None = None, raw: bool = False) -> Any:
        all_headers = {"Accept": "application/json, application/problem+json"}
        if self.token:
            all_headers["Authorization"] = f"Bearer {self.token}"
        all_headers.update(headers or {})
        response = self.session.request(method, self.base_url + path, json=json, params=params,
                                        headers=all_headers, timeout=self.timeout)
        if response.status_code >= 400:
            try:
                problem = response.json()
            except ValueError:
                problem = {"title": response.reason, "detail": response.text[:500]}
            raise BridgeError(response.status_code, problem if isinstance(problem, dict) else {},
                              dict(response.headers))
        if raw:
            return response
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    # -- connection ---------------------------------------------------------
    def connect(self, connection_code: str, *, cloud_name: str, label: str | None = None) -> dict[str, Any]:
        """Exchange the code from Settings for a token; the client keeps it."""
        body: dict[str, Any] = {"connection_code": connection_code, "cloud_name": cloud_name}
        if label is not None:
            body["label"] = label
        result = self.request("POST", "/connect", json=body)
        self.token = result["token"]
        self.signing_secret = result["signing_secret"]
        self.connection_id = result["connection_id"]
        return result

    def disconnect(self) -> None:
        self.request("DELETE", "/connection")
        self.token = None

    def openapi(self) -> dict[str, Any]:
        return self.request("GET", "/openapi.json")

    # -- store, settings, fields, matches -------------------------------------
    def store(self) -> dict[str, Any]:
        return self.request("GET", "/store")

    def settings(self) -> dict[str, Any]:
        return self.request("GET", "/settings")

    def put_settings(self, settings: Mapping[str, Any]) -> dict[str, Any]:
        return self.request("PUT", "/settings", json=dict(settings))

    def fields(self) -> list[dict[str, Any]]:
        return self.request("GET", "/fields")["fields"]

    def matches(self, shopify_field: str, values: Iterable[Any]) -> dict[str, Any]:
        return self.request("POST", "/matches", json={"shopify_field": shopify_field, "values": list(values)})

    # -- syncs, unlinks, uploads (contract: Link to Products, Upload) ---------
    def create_sync(self, body: Mapping[str, Any], *, idempotency_key: str | None = None) -> dict[str, Any]:
        return self.request("POST", "/syncs", json=dict(body),
                            headers={"Idempotency-Key": idempotency_key or uuid.uuid4().hex})

    def get_sync(self, sync_id: str) -> dict[str, Any]:
        return self.request("GET", f"/syncs/{sync_id}")

    def list_syncs(self) -> Any:
        return self.request("GET", "/syncs")

    def abort_sync(self, sync_id: str) -> Any:
        return self.request("POST", f"/syncs/{sync_id}/abort")

    def sync_report(self, sync_id: str, *, csv: bool = False) -> Any:
        if csv:
            return self.request("GET", f"/syncs/{sync_id}/report", params={"format": "csv"}, raw=True).text
        return self.request("GET", f"/syncs/{sync_id}/report")

    def wait_for_sync(self, sync_id: str, *, timeout: float = 120.0, interval: float = 0.5) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            sync = self.get_sync(sync_id)
            if sync["status"] in TERMINAL_STATUSES:
                return sync
            if time.monotonic() > deadline:
                raise TimeoutError(f"sync {sync_id} still {sync['status']} after {timeout} s")
            time.sleep(interval)

    def links(self, product_id: str) -> Any:
        return self.request("GET", "/links", params={"product_id": product_id})

    def create_unlink(self, product_ids: Iterable[str], public_ids: Iterable[str], *,
                      idempotency_key: str | None = None) -> dict[str, Any]:
        return self.request("POST", "/unlinks", json={"product_ids": list(product_ids),
                                                      "public_ids": list(public_ids)},
                            headers={"Idempotency-Key": idempotency_key or uuid.uuid4().hex})

    def create_upload(self, assets: Iterable[Mapping[str, Any]], *, settings: Mapping[str, Any] | None = None,
                      idempotency_key: str | None = None) -> dict[str, Any]:
        return self.request("POST", "/uploads", json={"assets": [dict(a) for a in assets],
                                                      "settings": dict(settings or {})},
                            headers={"Idempotency-Key": idempotency_key or uuid.uuid4().hex})

    def get_upload(self, upload_id: str) -> dict[str, Any]:
        return self.request("GET", f"/uploads/{upload_id}")

    def abort_upload(self, upload_id: str) -> Any:
        return self.request("POST", f"/uploads/{upload_id}/abort")

    def upload_report(self, upload_id: str, *, csv: bool = False) -> Any:
        if csv:
            return self.request("GET", f"/uploads/{upload_id}/report", params={"format": "csv"}, raw=True).text
        return self.request("GET", f"/uploads/{upload_id}/report")

    def wait_for_upload(self, upload_id: str, *, timeout: float = 120.0, interval: float = 0.5) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            upload = self.get_upload(upload_id)
            if upload["status"] in TERMINAL_STATUSES:
                return upload
            if time.monotonic() > deadline:
                raise TimeoutError(f"upload {upload_id} still {upload['status']} after {timeout} s")
            time.sleep(interval)

    # -- automation ---------------------------------------------------------------------------------------

    def put_automation(self, automation: Mapping[str, Any]) -> dict[str, Any]:
        return self.request("PUT", "/automation", json=automation)  # type: ignore[no-any-return]

    def automation(self) -> dict[str, Any]:
        return self.request("GET", "/automation")  # type: ignore[no-any-return]

    def automation_events(self, limit: int = 50) -> list[dict[str, Any]]:
        return list(self.request("GET", "/automation/events", params={"limit": limit})["events"])
