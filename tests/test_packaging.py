"""The app as it is shipped: a wheel built from pyproject.toml, installed
where the checkout can't be imported, runs its migrations and serves a page
with its template and static files. The simulators are a distribution of
their own and never part of the app's wheel.
"""
from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import sys
import sysconfig
import time
import uuid
import zipfile
from pathlib import Path

import pytest
import requests

from demo.processes import free_port
from tests.support import API_KEY, API_SECRET, ENCRYPTION_KEY, make_session_token

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
SHOP = "acme.myshopify.com"
# Build from a copy: an in-tree build would reuse (and ship) whatever an
# earlier build left in build/, and would write into the checkout.
NOT_SOURCE = shutil.ignore_patterns(".git", ".venv", "build", "*.egg-info", "__pycache__", "instance", "tests",
                                    "docs", ".hypothesis", ".pytest_cache", "node_modules")


def _run(*args: str | Path, **kwargs) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=600, **kwargs)
    assert result.returncode == 0, f"{args} failed:\n{result.stdout}\n{result.stderr}"
    return result


def _build(project: Path, out: Path) -> Path:
    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", out, project)
    (wheel,) = out.glob("*.whl")
    return wheel


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    copy = tmp_path_factory.mktemp("source") / "assetlink"
    shutil.copytree(ROOT, copy, ignore=NOT_SOURCE)
    return copy


@pytest.fixture(scope="module")
def app_wheel(source, tmp_path_factory) -> Path:
    return _build(source, tmp_path_factory.mktemp("app-wheel"))


@pytest.fixture(scope="module")
def installed(app_wheel, tmp_path_factory) -> Path:
    """A virtualenv with only the app's wheel installed; its dependencies come
    from the test environment's site-packages, added as a plain path so the
    editable installs there (the checkout, the simulators) are not."""
    env = tmp_path_factory.mktemp("venv") / "env"
    _run(sys.executable, "-m", "venv", "--without-pip", env)
    python = env / "bin" / "python"
    _run(sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--quiet", app_wheel)
    target = Path(_run(python, "-I", "-c", "import sysconfig; print(sysconfig.get_path('purelib'))").stdout.strip())
    ours = {sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}
    (target / "test-dependencies.pth").write_text("\n".join(sorted(ours)) + "\n")
    return python


def _app_environment(workdir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SHOPIFY_", "DATABASE_", "REDIS_", "PYTHON"))}
    env.update({
        "SHOPIFY_API_KEY": API_KEY, "SHOPIFY_API_SECRET": API_SECRET, "APP_URL": "https://app.example.test",
        "SECRET_KEY": "packaged-secret", "TOKEN_ENCRYPTION_KEY": ENCRYPTION_KEY,
        "DATABASE_URL": f"sqlite:///{workdir / 'assetlink.sqlite3'}",
        "REDIS_KEY_PREFIX": f"assetlink-packaged-{uuid.uuid4().hex[:8]}",
    })
    return env


def test_the_app_wheel_carries_its_files_and_no_simulator(app_wheel):
    names = zipfile.ZipFile(app_wheel).namelist()
    for path in ("shopify_app/templates/base.html", "shopify_app/templates/app/settings.html",
                 "shopify_app/static/app.css", "shopify_app/static/app.js",
                 "shopify_app/migrations/alembic.ini", "shopify_app/migrations/env.py",
                 "shopify_app/migrations/script.py.mako", "shopify_app/migrations/versions/0001_initial_schema.py",
                 "jobs/schemas/productmedia_v1.schema.json", "cloudinary_bridge/__init__.py", "jobs/worker.py"):
        assert path in names
    tops = {name.split("/", 1)[0] for name in names if not name.split("/", 1)[0].endswith(".dist-info")}
    assert tops == {"shopify_app", "cloudinary_bridge", "jobs"}
    assert not [name for name in names if "__pycache__" in name or name.endswith(".pyc")]
    metadata = zipfile.ZipFile(app_wheel).read(
        next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    runtime = [line for line in metadata.splitlines() if line.startswith("Requires-Dist:") and "extra ==" not in line]
    assert not [line for line in runtime if re.search(r"fakeredis|ShopifyAPI|pytest|hypothesis", line, re.I)]


def test_the_simulators_are_a_distribution_of_their_own(source, tmp_path):
    names = zipfile.ZipFile(_build(source / "simulators", tmp_path)).namelist()
    assert "shopify_sim/__init__.py" in names and "shopify_sim/data/admin_2026-10.json.gz" in names
    assert not [name for name in names if name.startswith(("shopify_app/", "cloudinary_bridge/", "jobs/"))]


def test_the_installed_wheel_migrates_and_serves_a_page(installed, tmp_path):
    env = _app_environment(tmp_path)
    where = _run(installed, "-I", "-c", "import shopify_app, importlib.util as u; print(shopify_app.__file__); "
                 "print(u.find_spec('shopify_sim'), u.find_spec('tests'), u.find_spec('demo'))", cwd=tmp_path)
    module_file, missing = where.stdout.splitlines()
    assert module_file.startswith(str(installed.parent.parent)), "the app came from the checkout, not the wheel"
    assert missing == "None None None"
    # Dependencies the wheel declares are all there (pip reads its metadata).
    _run(sys.executable, "-m", "pip", "--python", installed, "check")

    _run(installed, "-I", "-m", "flask", "--app", "shopify_app", "db", "upgrade", env=env, cwd=tmp_path)
    with sqlite3.connect(tmp_path / "assetlink.sqlite3") as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        (version,) = db.execute("SELECT version_num FROM alembic_version").fetchone()
    assert {"shops", "syncs", "alembic_version"} <= tables
    assert version

    _run(installed, "-I", "-c", (
        "import uuid\n"
        "from shopify_app import create_app, crypto\n"
        "from shopify_app.extensions import db\n"
        "from shopify_app.models import Shop, utcnow\n"
        "app = create_app()\n"
        "with app.app_context():\n"
        f"    db.session.add(Shop(domain={SHOP!r}, name='Acme', scopes='write_products,write_files',\n"
        "        installed_at=utcnow(), access_token_enc=crypto.encrypt('shpat_' + uuid.uuid4().hex)))\n"
        "    db.session.commit()\n"), env=env, cwd=tmp_path)

    port = free_port()
    server = subprocess.Popen([str(installed), "-I", "-m", "flask", "--app", "shopify_app", "run", "--port", str(port),
                               "--no-reload"], env=env, cwd=tmp_path, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        page = _get_when_up(server, f"{base}/settings", params={
            "embedded": "1", "shop": SHOP, "id_token": make_session_token(SHOP)})
        assert page.status_code == 200, page.text
        assert "AssetLink" in page.text
        stylesheet = re.search(r'<link rel="stylesheet" href="([^"]+)"', page.text).group(1)
        css = requests.get(base + stylesheet, timeout=10)
        assert css.status_code == 200
        assert css.content == (ROOT / "shopify_app" / "static" / "app.css").read_bytes()
    finally:
        server.terminate()
        server.communicate(timeout=30)


def _get_when_up(server: subprocess.Popen[str], url: str, **kwargs) -> requests.Response:
    deadline = time.monotonic() + 60
    while True:
        try:
            return requests.get(url, timeout=10, **kwargs)
        except requests.ConnectionError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"the installed app did not start:\n{server.communicate()[0]}") from None
            time.sleep(0.2)
