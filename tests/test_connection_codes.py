"""A store has one live connection code at a time, even when two page loads
ask for it at the same moment (issue 13.6's load run found two)."""
from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import func, select

from shopify_app import credentials
from shopify_app.extensions import db
from shopify_app.models import ConnectionCode, Shop


def _live_codes(shop_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(ConnectionCode).where(
        ConnectionCode.shop_id == shop_id, ConnectionCode.ended_at.is_(None)))


def test_a_page_load_waits_for_a_code_being_issued_instead_of_issuing_a_second(app, make_shop):
    """One load is mid-issue (its transaction holds the store's row and has
    added a code, not yet committed); a second load must wait for it and show
    the same code. Without the row lock the second issues a code of its own."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("SELECT ... FOR UPDATE needs PostgreSQL")
    shop_id = make_shop("codes.myshopify.com")
    issuing, codes = threading.Event(), []

    def first_load() -> None:
        with app.app_context():
            credentials._lock_codes(shop_id)
            row = credentials._issue_code(db.session.get(Shop, shop_id))
            issuing.set()
            time.sleep(0.5)
            db.session.commit()
            codes.append(credentials.crypto.derive_code(row.nonce, credentials.CODE_PREFIX))

    thread = threading.Thread(target=first_load)
    thread.start()
    assert issuing.wait(10)
    with app.app_context():
        second = credentials.current_code(db.session.get(Shop, shop_id))
    thread.join(10)
    with app.app_context():
        assert _live_codes(shop_id) == 1
    assert codes == [second]


def test_concurrent_regenerations_leave_one_live_code(app, make_shop):
    shop_id = make_shop("regen.myshopify.com")
    start, errors = threading.Barrier(4), []

    def regenerate() -> None:
        try:
            with app.app_context():
                shop = db.session.get(Shop, shop_id)
                start.wait()
                credentials.regenerate_code(shop)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=regenerate) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors
    with app.app_context():
        assert _live_codes(shop_id) == 1
