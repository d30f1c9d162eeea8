"""The project's code rules, checked by real tools so CI enforces them:
ruff over the whole tree (configuration in pyproject.toml), mypy --strict
on the planner, no function of the app above a cyclomatic complexity of 30
(radon), runtime dependencies that are exactly what the app and the
simulators import (deptry), and the dependency rules between packages
(docs/architecture.md) as import-linter contracts in pyproject.toml: `jobs`
never imports `cloudinary_bridge`; the app, the bridge and the engine never
import a simulator; no simulator imports them."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from radon.complexity import cc_visit

ROOT = Path(__file__).resolve().parent.parent
APP_PACKAGES = ("shopify_app", "cloudinary_bridge", "jobs")
SIMULATORS = ("shopify_sim", "cloudinary_sim")
MAX_COMPLEXITY = 30

# Functions allowed over the limit, each with why (none now).
OVER_THE_LIMIT: set[tuple[str, str]] = set()


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_ruff_finds_nothing():
    result = _run("ruff", "check", "--no-cache", "--output-format", "concise", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_planner_passes_mypy_strict():
    result = _run("mypy", "--strict", "--cache-dir", str(ROOT / ".mypy_cache"), "jobs/planner")
    assert result.returncode == 0, result.stdout + result.stderr


def _functions(blocks, prefix=""):
    """Every function, method and closure radon measured, with its name."""
    for block in blocks:
        name = f"{prefix}{block.fullname}"
        if hasattr(block, "closures"):
            yield name, block.complexity
            yield from _functions(block.closures, f"{name}.")


def complexity_over_limit() -> set[tuple[str, str, int]]:
    found = set()
    for package in APP_PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            for name, complexity in _functions(cc_visit(path.read_text(encoding="utf-8"))):
                if complexity > MAX_COMPLEXITY:
                    found.add((path.relative_to(ROOT).as_posix(), name, complexity))
    return found


def test_no_function_of_the_app_is_over_complexity_30():
    over = complexity_over_limit()
    unexpected = sorted(entry for entry in over if entry[:2] not in OVER_THE_LIMIT)
    assert not unexpected, (f"split these into smaller functions (radon cyclomatic complexity > {MAX_COMPLEXITY}):"
                            f" {unexpected}")
    gone = OVER_THE_LIMIT - {entry[:2] for entry in over}
    assert not gone, f"no longer over the limit: remove them from OVER_THE_LIMIT: {sorted(gone)}"


def test_the_complexity_check_measures_what_radon_reports():
    """The check finds nested and method complexity as radon's CLI does."""
    source = "class A:\n    def m(self, x):\n" + "".join(
        f"        if x == {i}:\n            return {i}\n" for i in range(MAX_COMPLEXITY)) + "        return -1\n"
    assert dict(_functions(cc_visit(source))) == {"A.m": MAX_COMPLEXITY + 1}
    nested = "def f(x):\n    def g(y):\n        if y:\n            return 1\n        return 2\n    return g(x)\n"
    assert dict(_functions(cc_visit(nested))) == {"f": 1, "f.g": 2}


def test_runtime_dependencies_are_what_the_app_imports():
    """deptry: every third-party import of the app is a declared runtime (or,
    for fakeredis, demo) dependency, nothing declared goes unused, and
    nothing is only there through another package."""
    result = _run("deptry", *APP_PACKAGES)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_simulators_declare_what_they_import():
    present = [name for name in SIMULATORS if (ROOT / name).is_dir()]
    if not present:
        pytest.skip("no simulator package in this checkout")
    result = _run("deptry", "--config", "simulators/pyproject.toml", *present)
    assert result.returncode == 0, result.stdout + result.stderr


def test_import_contracts_are_kept():
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint_imports), "--no-cache"], cwd=ROOT, capture_output=True, text=True,
                            timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    assert f"Contracts: {len(contracts)} kept, 0 broken." in result.stdout, result.stdout[-2000:]


def test_every_simulator_package_is_under_the_import_contracts():
    """A simulator package added to the tree must be a root package and a
    source of the 'simulators never import the app' contract, or import-linter
    would not look at it."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    simulators = sorted(p.name for p in ROOT.iterdir() if p.name.endswith("_sim") and (p / "__init__.py").exists())
    assert "shopify_sim" in simulators
    assert set(simulators) <= set(SIMULATORS), "add the new simulator to SIMULATORS too"
    contracts = {c["id"]: c for c in config["contracts"]}
    for name in simulators:
        assert name in config["root_packages"], name
        assert name in contracts["simulators-without-app"]["source_modules"], name
        assert name in contracts["app-without-simulators"]["forbidden_modules"], name


def test_no_test_module_imports_from_another_test_module():
    """Shared test helpers live in support modules and conftest files: a test
    module imported by another runs its tests' module-level code twice and
    ties the two together."""
    found = []
    for path in sorted((ROOT / "tests").rglob("*.py")):
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if re.match(r"\s*from\s+(tests\.|\.)[\w.]*\btest_\w+\s+import\b", line) or re.match(
                    r"\s*import\s+tests\.[\w.]*\btest_\w+", line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert found == []
