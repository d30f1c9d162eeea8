"""Grouping, exclusions, swatch split and ordering."""
from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from jobs.planner import Settings, build_groups
from jobs.planner.ordering import order_assets, sort_key

from .simulate import asset, request


def groups_of(req, settings=None):
    grouping = build_groups(req, settings or Settings())
    return [(g.value, [a.public_id for a in g.assets]) for g in grouping.groups], grouping


def test_groups_in_first_appearance_order_and_values_compare_trimmed_case_insensitively():
    req = request([asset("1", "B"), asset("2", " a "), asset("3", "b"), asset("4", "A")])
    groups, _ = groups_of(req)
    assert groups == [("B", ["1", "3"]), ("a", ["2", "4"])]


def test_list_value_puts_asset_in_several_groups():
    req = request([asset("1", ["X", "Y", "x"]), asset("2", "Y")])
    groups, _ = groups_of(req)
    assert groups == [("X", ["1"]), ("Y", ["1", "2"])]


def test_tags_group_by_each_tag():
    req = request([asset("1", None, tags=["red", "blue"]), asset("2", None, tags=["blue"]), asset("3", None)],
                  field="tags")
    groups, grouping = groups_of(req)
    assert groups == [("red", ["1"]), ("blue", ["1", "2"])]
    assert [(u.asset.public_id, u.reason) for u in grouping.unplaced] == [("3", "no value in tags")]


@pytest.mark.parametrize("value", [None, "", "   ", [], [None, ""], {"a": 1}])
def test_assets_without_value_are_reported_not_dropped(value):
    req = request([asset("1", value), asset("2", "OK")])
    groups, grouping = groups_of(req)
    assert groups == [("OK", ["2"])]
    assert [u.asset.public_id for u in grouping.unplaced] == ["1"]


def test_numbers_as_group_values():
    req = request([asset("1", 12), asset("2", 12.0), asset("3", "12")])
    groups, _ = groups_of(req)
    assert groups == [("12", ["1", "2", "3"])]


def test_swatch_split_by_asset_type_field():
    assets = [asset("1", metadata={"kind": "swatch"}), asset("2", metadata={"kind": "product"}),
              asset("3", metadata={"kind": ["SWATCH"]}), asset("4")]
    grouping = build_groups(request(assets), Settings(asset_type_field="kind"))
    group = grouping.groups[0]
    assert [a.public_id for a in group.assets] == ["2", "4"]
    assert [a.public_id for a in group.swatches] == ["1", "3"]
    no_field = build_groups(request(assets), Settings())
    assert len(no_field.groups[0].swatches) == 0


def test_order_by_numbers_numerically_missing_last_ties_keep_order():
    assets = [asset(str(i), metadata={"seq": v}) for i, v in
              enumerate([10, "2", None, 2, "1.5", "abc", "", 1e1, "-3", "Abd"])]
    req = request(assets, order_by="seq")
    groups, _ = groups_of(req)
    assert groups[0][1] == ["8", "4", "1", "3", "0", "7", "5", "9", "2", "6"]


def test_manual_order_when_order_by_is_null():
    req = request([asset("c"), asset("a"), asset("b")])
    assert groups_of(req)[0][0][1] == ["c", "a", "b"]


def test_nan_and_infinity():
    assert sort_key(float("nan")) == sort_key(None)
    assert sort_key(float("inf")) > sort_key(1e308)
    assert sort_key("nan")[0] == 1 and sort_key("1e3") == sort_key(1000)


values = st.one_of(st.none(), st.integers(-5, 5), st.floats(-5, 5, allow_nan=False),
                   st.sampled_from(["", "x", "B", "3", "10", "2.5"]))


@given(st.lists(values, min_size=1, max_size=12))
def test_ordering_is_stable_and_total(seq):
    assets = [asset(str(i), metadata={"seq": v}) for i, v in enumerate(seq)]
    ordered = order_assets(request(assets).assets, "seq")
    keys = [sort_key(a.metadata.get("seq")) for a in ordered]
    assert keys == sorted(keys)
    for left, right in zip(ordered, ordered[1:]):  # ties keep list order
        if sort_key(left.metadata.get("seq")) == sort_key(right.metadata.get("seq")):
            assert int(left.public_id) < int(right.public_id)
    missing = [a for a in ordered if sort_key(a.metadata.get("seq"))[0] == 2]
    assert ordered[len(ordered) - len(missing):] == missing


@given(st.lists(st.tuples(st.sampled_from(["A", "a ", "B", "c", None]), st.booleans()), max_size=12))
def test_every_asset_is_grouped_or_reported(spec):
    assets = [asset(str(i), value, excluded=excluded) for i, (value, excluded) in enumerate(spec)]
    if not assets:
        return
    grouping = build_groups(request(assets), Settings())
    placed = {a.public_id for g in grouping.groups for a in g.assets}
    reported = {u.asset.public_id for u in grouping.unplaced}
    assert placed | reported == {a["public_id"] for a in assets}
    assert not placed & {a["public_id"] for a in assets if a["excluded"]}
