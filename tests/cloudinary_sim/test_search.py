"""The Search API through the SDK's Search class: the expression subset the
app uses, sort, pagination, with_field, aggregate; invalid syntax is a 400."""
from __future__ import annotations

import time
from datetime import datetime, timezone

import cloudinary.uploader
import pytest
from cloudinary.exceptions import BadRequest
from cloudinary.search import Search

from cloudinary_sim.search_expression import ExpressionError, parse

from .support import image_bytes

NOW = time.time()
FIVE_DAYS_AGO = datetime.fromtimestamp(NOW - 5 * 86400, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def catalog(cld):
    cld.add_field("sku")
    cld.add_field("sequence_number", "integer")
    cld.add_field("color", "enum", datasource={"values": [{"external_id": "red", "value": "Red"},
                                                          {"external_id": "blue", "value": "Blue"}]})
    day = 86400
    cld.seed(
        {"public_id": "products/tr-blk-9/front", "metadata": {"sku": "TR-BLK-9", "sequence_number": 1,
                                                               "color": "red"},
         "tags": ["shoe", "full-analysis"], "uploaded_at": NOW - 3 * day, "context": {"alt": "black trail runner"}},
        {"public_id": "products/tr-blk-9/side", "metadata": {"sku": "TR-BLK-9", "sequence_number": 2},
         "tags": ["shoe"], "uploaded_at": NOW - 2 * day},
        {"public_id": "products/tr-red-8/front", "metadata": {"sku": "TR-RED-8", "sequence_number": 1,
                                                               "color": "blue"},
         "tags": ["shoe", "sale"], "uploaded_at": NOW - 2 * 3600},
        {"public_id": "clips/spin", "resource_type": "video", "metadata": {"sku": "TR-BLK-9"},
         "uploaded_at": NOW - 10 * day},
        {"public_id": "misc/banner", "tags": ["banner"], "uploaded_at": NOW - 60, "asset_folder": "misc"},
    )
    return cld


def ids(result):
    return [r["public_id"] for r in result["resources"]]


def run(cld, expression, **kwargs):
    search = Search().expression(expression)
    for key, value in kwargs.items():
        getattr(search, key)(*value) if isinstance(value, tuple) else getattr(search, key)(value)
    return search.execute(**cld.opts)


@pytest.mark.parametrize("expression, expected", [
    ('metadata.sku="TR-BLK-9"', {"products/tr-blk-9/front", "products/tr-blk-9/side", "clips/spin"}),
    ("metadata.sku=TR-BLK-9", {"products/tr-blk-9/front", "products/tr-blk-9/side", "clips/spin"}),
    ("metadata.sku:TR-BLK-9", {"products/tr-blk-9/front", "products/tr-blk-9/side", "clips/spin"}),
    ("metadata.sku:blk", {"products/tr-blk-9/front", "products/tr-blk-9/side", "clips/spin"}),  # tokenized
    ('metadata.sku=("TR-BLK-9" OR "TR-RED-8") AND resource_type:image',
     {"products/tr-blk-9/front", "products/tr-blk-9/side", "products/tr-red-8/front"}),
    ("metadata.sequence_number>=2", {"products/tr-blk-9/side"}),
    ("metadata.color=red", {"products/tr-blk-9/front"}),
    ("tags:shoe AND -tags:sale", {"products/tr-blk-9/front", "products/tr-blk-9/side"}),
    ("tags:analysis", {"products/tr-blk-9/front"}),
    ("tags=analysis", set()),
    ('folder:"products/tr-blk-9"', {"products/tr-blk-9/front", "products/tr-blk-9/side"}),
    ("asset_folder=misc", {"misc/banner"}),
    ("public_id:products/tr-red*", {"products/tr-red-8/front"}),
    ("public_id:front", set()),  # whole value, not a token
    ("resource_type:video", {"clips/spin"}),
    ("uploaded_at>1d", {"products/tr-red-8/front", "misc/banner"}),
    ("uploaded_at<1w AND uploaded_at>2w", {"clips/spin"}),  # older than a week, newer than two
    ("uploaded_at:[4d TO 1d]", {"products/tr-blk-9/front", "products/tr-blk-9/side"}),
    # A stable id: parallel test processes must collect the same test names.
    pytest.param(f'uploaded_at>"{FIVE_DAYS_AGO}"',
                 {"products/tr-blk-9/front", "products/tr-blk-9/side", "products/tr-red-8/front", "misc/banner"},
                 id="uploaded_at>five days ago as a date"),
    ("tags:banner OR tags:sale", {"misc/banner", "products/tr-red-8/front"}),
    ("(tags:banner OR tags:sale) AND NOT resource_type:video", {"misc/banner", "products/tr-red-8/front"}),
    ('context.alt:"trail runner"', {"products/tr-blk-9/front"}),
    ("trail", {"products/tr-blk-9/front"}),
])
def test_expressions(catalog, expression, expected):
    result = run(catalog, expression, max_results=100)
    assert set(ids(result)) == expected
    assert result["total_count"] == len(expected)


@pytest.mark.parametrize("expression", [
    "NOT tags:shoe", "tags:*", "metadata.sku:*", "tags:(shoe", "folders:products", "uploaded_at>1m",
    "tags:sho*e", "tags:a|b", "metadata.sku=", "tags:shoe AND", "resource_type:vid*", "tags:[a TO",
])
def test_invalid_expressions_answer_400(catalog, expression):
    with pytest.raises(BadRequest, match="Syntax error in search expression"):
        run(catalog, expression)


def test_sort_and_pagination(catalog):
    expression = "resource_type:image"
    first = run(catalog, expression, sort_by=("public_id", "asc"), max_results=2)
    assert ids(first) == ["misc/banner", "products/tr-blk-9/front"] and first["total_count"] == 4
    second = run(catalog, expression, sort_by=("public_id", "asc"), max_results=2,
                 next_cursor=first["next_cursor"])
    assert ids(second) == ["products/tr-blk-9/side", "products/tr-red-8/front"]
    assert "next_cursor" not in second
    newest = run(catalog, expression)  # default: created_at desc
    assert ids(newest)[0] == "misc/banner"
    by_sequence = run(catalog, 'metadata.sku="TR-BLK-9" AND resource_type:image',
                      sort_by=("metadata.sequence_number", "asc"))
    assert ids(by_sequence) == ["products/tr-blk-9/front", "products/tr-blk-9/side"]


def test_with_field_and_fields(catalog):
    bare = run(catalog, "tags:sale")["resources"][0]
    assert "metadata" not in bare and "tags" not in bare
    full = run(catalog, "tags:sale", with_field="metadata")["resources"][0]
    assert full["metadata"] == {"sku": "TR-RED-8", "sequence_number": 1, "color": "blue"}
    both = Search().expression("tags:sale").with_field("tags").with_field("context").execute(**catalog.opts)
    assert both["resources"][0]["tags"] == ["shoe", "sale"]
    narrow = run(catalog, "tags:sale", fields="tags")["resources"][0]
    assert set(narrow) == {"public_id", "asset_id", "asset_folder", "created_at", "status", "type",
                           "resource_type", "tags"}


def test_max_results_zero_and_aggregate(catalog):
    result = Search().expression("").max_results(0).aggregate("resource_type").execute(**catalog.opts)
    assert result["resources"] == [] and result["total_count"] == 5
    assert result["aggregations"]["resource_type"] == {"image": 4, "video": 1}


def test_bad_parameters(catalog):
    with pytest.raises(BadRequest):
        run(catalog, "tags:shoe", max_results=501)
    with pytest.raises(BadRequest):
        run(catalog, "tags:shoe", with_field="everything")
    with pytest.raises(BadRequest):
        run(catalog, "tags:shoe", sort_by=("public_id", "up"))
    with pytest.raises(BadRequest):
        run(catalog, "tags:shoe", next_cursor="garbage")


def test_updated_at_follows_changes(catalog):
    before = run(catalog, "updated_at>1h")
    cloudinary.uploader.update_metadata({"sku": "TR-BLK-9"}, ["products/tr-red-8/front"], **catalog.opts)
    cloudinary.uploader.add_tag("fresh", ["products/tr-blk-9/side"], **catalog.opts)
    after = run(catalog, "updated_at>1h")
    assert ids(before) == ["misc/banner"]
    assert set(ids(after)) == {"misc/banner", "products/tr-blk-9/side", "products/tr-red-8/front"}
    assert "products/tr-red-8/front" in ids(run(catalog, 'metadata.sku="TR-BLK-9"', max_results=10))


def test_new_upload_is_found_at_once(cld):
    cld.add_field("sku")
    cloudinary.uploader.upload(image_bytes(), public_id="new", metadata={"sku": "N-1"}, **cld.opts)
    assert ids(run(cld, "metadata.sku=N-1")) == ["new"]


def test_parser_shapes():
    assert parse("") is None
    with pytest.raises(ExpressionError):
        parse("tags:a AND (tags:b")
    tree = parse('a AND NOT b OR c')
    assert type(tree).__name__ == "Or"
