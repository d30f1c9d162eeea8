"""Structured metadata field definitions through the SDK's Admin API calls,
and value rules when assets get metadata."""
from __future__ import annotations

import cloudinary.api
import cloudinary.uploader
import pytest
from cloudinary.exceptions import AlreadyExists, BadRequest, NotFound

from .support import image_bytes


def test_create_list_get_update_delete(cld):
    created = cld.add_field("sku", "string", restrictions={"readonly_ui": True})
    assert created["external_id"] == "sku" and created["type"] == "string" and created["mandatory"] is False
    assert created["restrictions"] == {"readonly_ui": True, "hidden_ui": False, "excluded_from_search": False}
    assert "default_value" in created and "validation" in created
    listed = cloudinary.api.list_metadata_fields(**cld.opts)["metadata_fields"]
    assert [f["external_id"] for f in listed] == ["sku"]
    assert cloudinary.api.metadata_field_by_field_id("sku", **cld.opts)["label"] == "sku"
    updated = cloudinary.api.update_metadata_field("sku", {"label": "SKU"}, **cld.opts)
    assert updated["label"] == "SKU"
    assert cloudinary.api.delete_metadata_field("sku", **cld.opts) == {"message": "ok"}
    with pytest.raises(NotFound):
        cloudinary.api.metadata_field_by_field_id("sku", **cld.opts)


def test_types_and_datasources(cld):
    enum = cld.add_field("color", "enum", datasource={"values": [{"external_id": "red", "value": "Red"},
                                                                 {"external_id": "blue", "value": "Blue"}]})
    assert [v["external_id"] for v in enum["datasource"]["values"]] == ["red", "blue"]
    assert all(v["state"] == "active" for v in enum["datasource"]["values"])
    cld.add_field("sizes", "set", datasource={"values": [{"external_id": "s", "value": "S"},
                                                         {"external_id": "m", "value": "M"}]})
    cld.add_field("sequence_number", "integer")
    cld.add_field("launch", "date")
    result = cloudinary.uploader.upload(image_bytes(), public_id="p", **cld.opts, metadata={
        "color": "red", "sizes": ["s", "m"], "sequence_number": 3, "launch": "2026-05-01"})
    assert result["metadata"] == {"color": "red", "sizes": ["s", "m"], "sequence_number": 3, "launch": "2026-05-01"}


def test_enum_field_needs_a_datasource_and_types_are_closed(cld):
    with pytest.raises(BadRequest):
        cld.add_field("color", "enum")
    with pytest.raises(BadRequest):
        cld.add_field("x", "float")
    with pytest.raises(BadRequest):
        cloudinary.api.add_metadata_field({"external_id": "nolabel", "type": "string"}, **cld.opts)


def test_duplicate_external_id(cld):
    cld.add_field("sku")
    with pytest.raises(AlreadyExists):
        cld.add_field("sku")


def test_mandatory_needs_a_default_and_defaults_apply_to_new_assets(cld):
    with pytest.raises(BadRequest):
        cld.add_field("status", "string", mandatory=True)
    cld.add_field("status", "string", mandatory=True, default_value="new")
    assert cloudinary.uploader.upload(image_bytes(), public_id="p", **cld.opts)["metadata"] == {"status": "new"}


def test_validation_rules(cld):
    cld.add_field("code", "string", validation={"type": "strlen", "min": 2, "max": 4})
    cld.add_field("rank", "integer", validation={"type": "less_than", "equals": True, "value": 5})
    with pytest.raises(BadRequest):
        cld.add_field("bad", "integer", default_value=6, validation={"type": "less_than", "value": 5})
    cloudinary.uploader.upload(image_bytes(), public_id="p", metadata={"code": "AB", "rank": 5}, **cld.opts)
    with pytest.raises(BadRequest):
        cloudinary.uploader.upload(image_bytes(), public_id="q", metadata={"code": "ABCDE"}, **cld.opts)
    with pytest.raises(BadRequest):
        cloudinary.uploader.upload(image_bytes(), public_id="q", metadata={"rank": 6}, **cld.opts)


def test_values_must_fit_the_type(cld):
    cld.add_field("sequence_number", "integer")
    cld.add_field("launch", "date")
    cld.add_field("color", "enum", datasource={"values": [{"external_id": "red", "value": "Red"}]})
    for bad in ({"sequence_number": "two"}, {"launch": "01/05/2026"}, {"color": "green"}):
        with pytest.raises(BadRequest):
            cloudinary.uploader.upload(image_bytes(), public_id="p", metadata=bad, **cld.opts)


def test_unknown_field_answers_cloudinarys_documented_message(cld):
    cld.add_field("sku")
    with pytest.raises(BadRequest) as caught:
        cloudinary.uploader.upload(image_bytes(), public_id="p", metadata={"colour_id": "x"}, **cld.opts)
    assert 'The following metadata fields do not exist: ["colour_id"]' in str(caught.value)
