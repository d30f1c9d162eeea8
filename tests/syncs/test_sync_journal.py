"""The database journal behaves like the executor's reference MemoryJournal."""
from __future__ import annotations

from hypothesis import HealthCheck, example, given, settings as hsettings, strategies as st

from jobs.executor.journal import JournalRecord, MemoryJournal
from jobs.sync_journal import SyncJournal
from shopify_app.extensions import db
from shopify_app.models import MediaJournal, Shop

PRODUCTS = ["gid://shopify/Product/1", "gid://shopify/Product/2"]


def _record(delivery: str, file_id: str | None = None) -> JournalRecord:
    return JournalRecord(product_id=PRODUCTS[0], key=("image", "upload", "a"), role="gallery", filename="a.jpg",
                         source_url=delivery, delivery_url=delivery, file_id=file_id, entry_json=None,
                         intended_at=0.0)


# Found by hypothesis: a file made for source 2, then one batch intending the
# asset for source 1 and again for source 2 (the second is judged against the first).
SAME_ASSET_TWICE_IN_A_BATCH = [("created", [_record("https://x/2.jpg", "gid://shopify/MediaImage/1")], PRODUCTS[0]),
                               ("intend", [_record("https://x/1.jpg"), _record("https://x/2.jpg")], PRODUCTS[0])]
records = st.builds(
    JournalRecord, product_id=st.sampled_from(PRODUCTS),
    key=st.tuples(st.just("image"), st.just("upload"), st.sampled_from(["a", "b/ü", "c"])),
    role=st.sampled_from(["gallery", "swatch"]), filename=st.just("a.jpg"),
    source_url=st.sampled_from(["https://x/1.jpg", "https://x/2.jpg"]),
    delivery_url=st.sampled_from(["https://x/1.jpg", "https://x/2.jpg"]),
    file_id=st.one_of(st.none(), st.sampled_from(["gid://shopify/MediaImage/1", "gid://shopify/MediaImage/2"])),
    entry_json=st.one_of(st.none(), st.just('{"x":1}')), intended_at=st.floats(0, 2e9))
ops = st.lists(st.tuples(st.sampled_from(["intend", "created", "complete"]), st.lists(records, max_size=3),
                         st.sampled_from(PRODUCTS)), max_size=8)


@hsettings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops)
@example(SAME_ASSET_TWICE_IN_A_BATCH)
def test_database_journal_matches_the_reference(app, steps):
    with app.app_context():
        db.session.query(MediaJournal).delete()
        shop = db.session.query(Shop).filter_by(domain="journal.myshopify.com").first()
        if shop is None:
            shop = Shop(domain="journal.myshopify.com")
            db.session.add(shop)
        db.session.commit()
        ours, reference = SyncJournal(shop.id), MemoryJournal()
        for op, batch, product_id in steps:
            if op == "complete":
                ours.complete(product_id)
                reference.complete(product_id)
            else:
                getattr(ours, op)(batch)
                getattr(reference, op)(batch)
            key = lambda r: (r.product_id, r.key, r.role)  # noqa: E731
            assert sorted(ours.records(PRODUCTS), key=key) == sorted(reference.records(PRODUCTS), key=key)
