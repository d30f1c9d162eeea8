"""The control API, the clock, the command line, and the rule that the
simulator and the app never import each other."""
from __future__ import annotations

import ast
import pathlib
import subprocess
import sys
import time

import cloudinary.api
import pytest
import requests
from cloudinary.search import Search

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_environment_creation_rules(csim):
    url = csim.base_url + "/_sim/environments"
    body = {"cloud_name": "ctl-env", "api_key": "1", "api_secret": "s"}
    assert requests.post(url, json=body, timeout=10).status_code == 201
    again = requests.post(url, json=body, timeout=10)
    assert again.status_code == 409 and again.headers["Content-Type"] == "application/problem+json"
    assert requests.post(url, json={**body, "replace": True}, timeout=10).status_code == 201
    for bad in ({"cloud_name": "X Y", "api_key": "1", "api_secret": "s"}, {"cloud_name": "ok-name"},
                {**body, "cloud_name": "v1_1"}, {**body, "cloud_name": "ok2", "signature_algorithm": "md5"}):
        response = requests.post(url, json=bad, timeout=10)
        assert response.status_code == 422, bad
        assert response.json()["status"] == 422 and response.json()["detail"]
    assert requests.post(url, data="nope", timeout=10).status_code == 422
    assert requests.get(csim.base_url + "/_sim/environments/none", timeout=10).status_code == 404


def test_switch_signature_algorithm(cld):
    patched = cld.sim.control("PATCH", f"/_sim/environments/{cld.cloud_name}", json={"signature_algorithm": "sha256"})
    assert patched["signature_algorithm"] == "sha256"


def test_fault_specs_are_validated(cld):
    base = f"{cld.sim.base_url}/_sim/environments/{cld.cloud_name}"
    assert requests.post(base + "/notifications/faults", json={"action": "explode"}, timeout=10).status_code == 422
    assert requests.post(base + "/notifications/faults", json={"action": "drop", "count": 0},
                         timeout=10).status_code == 422
    assert requests.post(base + "/delivery_faults", json={"match": "x", "status": 200}, timeout=10).status_code == 422
    assert requests.post(base + "/assets", json={"assets": [{"public_id": "a?b"}]}, timeout=10).status_code == 422


def test_clock_advance_moves_relative_search_dates(csim):
    from .support import make_environment
    env = make_environment(csim)
    env.seed({"public_id": "today"})
    assert Search().expression("uploaded_at>1d").execute(**env.opts)["total_count"] == 1
    before = csim.control("GET", "/_sim/clock")["offset"]
    csim.control("POST", "/_sim/clock", json={"advance": 2 * 86400})
    try:
        assert Search().expression("uploaded_at>1d").execute(**env.opts)["total_count"] == 0
    finally:
        # One simulator serves the whole session: put the clock back.
        csim.app.extensions["cloudinary_sim_state"].clock_offset = before


def test_command_line_starts_a_server():
    import socket
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen([sys.executable, "-m", "cloudinary_sim", "--port", str(port)], cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.post(base + "/_sim/environments",
                              json={"cloud_name": "cli", "api_key": "k", "api_secret": "s"}, timeout=2)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "python -m cloudinary_sim did not start"
                time.sleep(0.1)
        assert cloudinary.api.ping(cloud_name="cli", api_key="k", api_secret="s", upload_prefix=base) == \
            {"status": "ok"}
    finally:
        process.terminate()
        process.wait(timeout=10)


def _imports(package: str) -> set[str]:
    found = set()
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("package", ["shopify_app", "cloudinary_bridge", "jobs"])
def test_the_app_never_imports_the_simulator(package):
    assert "cloudinary_sim" not in _imports(package)


def test_the_simulator_never_imports_the_app():
    assert not _imports("cloudinary_sim") & {"shopify_app", "cloudinary_bridge", "jobs", "shopify_sim", "tests"}
