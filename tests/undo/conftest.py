"""Fixtures of the undo and clean-up tests: the end-to-end sync tests' connected
simulator store and real burst worker (tests/syncs/conftest.py)."""
from tests.syncs.conftest import make_store, work  # noqa: F401  (fixtures, used by name)
