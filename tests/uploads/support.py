"""Helpers the upload tests and others share (a test module imports from a
support module, never from another test module)."""
from __future__ import annotations

from typing import Any

from tests.support import bearer


def upload(client: Any, token: str, assets: list[dict[str, Any]], **body: Any) -> dict[str, Any]:
    """POST /bridge/v1/uploads, then the upload's status object."""
    response = client.post("/bridge/v1/uploads", json={"assets": assets, **body}, headers=bearer(token))
    assert response.status_code == 202, response.get_data(as_text=True)
    upload_id = response.get_json()["id"]
    status = client.get(f"/bridge/v1/uploads/{upload_id}", headers=bearer(token))
    assert status.status_code == 200
    return status.get_json()
