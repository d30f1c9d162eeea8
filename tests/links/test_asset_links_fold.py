"""How report rows change what AssetLink has linked where (jobs.asset_links.fold, pure)."""
from __future__ import annotations

from jobs.asset_links import fold, put_back


def row(action, product_id="P1", public_id="a", media_id=None, group_value="SKU-1"):
    return {"action": action, "product_id": product_id, "public_id": public_id, "media_id": media_id,
            "group_value": group_value}


def test_a_syncs_own_media_rows_are_recorded_under_their_group_per_media():
    forget_pairs, forget, write = fold("sync", [
        row("created", media_id="M1"), row("unchanged", public_id="b", media_id="M2"),
        row("created", media_id="F9"),                                   # the same asset's swatch file
        row("skipped", public_id="c"), row("failed", public_id="d")])
    assert forget_pairs == set() and forget == set()
    assert write == {("P1", "a", "M1"): "SKU-1", ("P1", "a", "F9"): "SKU-1", ("P1", "b", "M2"): "SKU-1"}


def test_a_syncs_removed_row_forgets_that_media_only():
    # A duplicate of the asset taken off after the copy that stays was reported.
    forget_pairs, forget, write = fold("sync", [row("unchanged", media_id="M1"), row("removed", media_id="M7"),
                                                row("created", product_id="P2", media_id="M2"),
                                                row("removed", product_id="P2", media_id="M2")])
    assert forget_pairs == set()
    assert forget == {("P1", "a", "M7"), ("P2", "a", "M2")}
    assert write == {("P1", "a", "M1"): "SKU-1"}


def test_media_recorded_after_its_removal_in_the_same_batch_stands():
    assert fold("sync", [row("removed", media_id="M1"), row("created", media_id="M1")]) == (
        set(), set(), {("P1", "a", "M1"): "SKU-1"})


def test_an_unlink_forgets_the_asset_on_that_product_and_records_nothing():
    forget_pairs, forget, write = fold("unlink", [row("removed", media_id="M1"),
                                                  row("unchanged", public_id="b", media_id="M2")])
    assert forget_pairs == {("P1", "a")} and forget == set() and write == {}


def test_rows_without_a_product_or_an_asset_change_nothing():
    assert fold("sync", [row("created", product_id=None), row("created", public_id=None),
                         row("removed", public_id=None, media_id="M3")]) == (set(), set(), {})


def test_media_less_entries_are_recorded_with_an_empty_media_key():
    assert fold("sync", [row("created")])[2] == {("P1", "a", ""): "SKU-1"}


def test_an_undo_forgets_the_media_it_took_off():
    from jobs.asset_links import taken_off
    assert taken_off([row("removed", public_id=None, media_id="M1"), row("moved", media_id="M2"),
                      row("removed", media_id=None), row("replaced", media_id="F1")]) == {("P1", "M1")}


def test_what_an_undo_puts_back_is_recorded_under_the_group_the_undone_run_reported():
    assert put_back([
        row("moved", media_id="M1"),                                     # media the undone run took off
        row("replaced", public_id="w/chip", media_id="F2", group_value="W-1"),   # a swatch as it was
        row("moved", public_id=None, media_id="M3"),                     # the merchant's own media
        row("moved", public_id=None),                                    # the gallery order row
        row("removed", media_id="M4"),                                   # taken off (taken_off's job)
        row("failed", media_id="M5")]) == {("P1", "a", "M1"): "SKU-1", ("P1", "w/chip", "F2"): "W-1"}


def test_the_daily_deletion_check_comes_round_to_every_linked_asset(app, make_shop):
    """It checks at most a few thousand a day: the most recent links and a
    slice of all of them that moves on each turn, so an old link is checked
    too, within (links ÷ half the limit) days."""
    from datetime import timedelta

    from jobs.asset_links import linked_public_ids
    from shopify_app.extensions import db
    from shopify_app.models import AssetLink, utcnow

    shop_id = make_shop("acme.myshopify.com")
    with app.app_context():
        now = utcnow()
        db.session.add_all([AssetLink(shop_id=shop_id, cloud_name="acme", product_id=f"P{i}", public_id=f"a/{i:02}",
                                      media_key=f"M{i}", group_value="G", linked_at=now - timedelta(days=i))
                            for i in range(10)])
        db.session.add(AssetLink(shop_id=shop_id, cloud_name="other", product_id="P0", public_id="b/0",
                                 media_key="M99", group_value="G", linked_at=now))
        db.session.commit()
        seen: set[str] = set()
        for turn in range(5):
            ids = linked_public_ids(shop_id, "acme", 4, turn=turn)
            assert len(ids) <= 4 and ids[:2] == ["a/00", "a/01"]   # the most recent first, every turn
            seen |= set(ids)
        assert seen == {f"a/{i:02}" for i in range(10)}
        assert linked_public_ids(shop_id, "acme", 40) == [f"a/{i:02}" for i in range(10)]
