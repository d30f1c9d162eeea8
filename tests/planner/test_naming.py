"""Filenames, the theme snippet's decoder, alt text, delivery URLs and the
productmedia_v1 document."""
from __future__ import annotations

import json
import string

import pytest
from hypothesis import example, given, strategies as st

from jobs.planner import Asset, ProductMediaEntry, Settings, dump_document, parse_document
from jobs.planner.delivery import delivery_for, swatch_delivery
from jobs.planner.naming import (alt_text, all_metadata_filename, decode_filename, encode_public_id,
                                 filename_for, public_id_filename)
from jobs.planner.productmedia import SCHEMA_PATH, json_schema

from .simulate import asset


def A(**kw):
    return Asset.model_validate(asset(kw.pop("public_id", "shoes/abc-1_front"), **kw))


def test_public_id_filename():
    assert public_id_filename("shoes/abc-1_front", "jpg") == "abc-1_front.jpg"
    assert public_id_filename("flat", "png") == "flat.png"
    assert filename_for(A(), "acme", "public_id", "jpg") == "abc-1_front.jpg"


def test_all_metadata_filename_example():
    name = all_metadata_filename("acme", "image", "upload", "shoes/abc-1_front", "jpg")
    assert name == "cloudinary__acme__image__upload__shoes-_p-2Fabc-1-_p-5Ffront__cld.jpg"
    decoded = decode_filename(name)
    assert decoded.public_id == "shoes/abc-1_front"
    assert decoded.encoded_public_id == "shoes%2Fabc-1%5Ffront"
    assert (decoded.cloud_name, decoded.resource_type, decoded.delivery_type, decoded.extension) == (
        "acme", "image", "upload", "jpg")


def test_decoder_reads_shopify_cdn_urls_with_uuid_suffix():
    url = ("https://cdn.shopify.com/s/files/1/0600/files/"
           "cloudinary__acme__image__upload__a-_p-2Fb__cld_3f2a9c1e-77aa-4b8e-9c55-1d2e3f4a5b6c.jpg?v=1711&width=600")
    assert decode_filename(url).public_id == "a/b"
    assert decode_filename("photo.jpg") is None


@pytest.mark.parametrize("public_id", ["upload", "cld", "a__b", "a_", "_a", "x-_p-y", "a/upload/b",
                                       "cld/cld__cld", "ünï cødé/ß", "100%", "a.b.c", "-", "__", "a//b"])
def test_awkward_public_ids_round_trip(public_id):
    for ext in ("jpg", "png"):
        name = all_metadata_filename("my-cloud", "video", "upload", public_id, ext)
        decoded = decode_filename(name)
        assert (decoded.public_id, decoded.extension, decoded.cloud_name) == (public_id, ext, "my-cloud")


def test_encoded_ids_never_hold_the_snippets_separators():
    encoded = encode_public_id("a__b_/-_p-c")
    assert "__" not in encoded and not encoded.endswith("_") and "%" not in encoded
    assert set(encoded) <= set(string.ascii_letters + string.digits + "-._")


public_ids = st.text(st.characters(exclude_categories=("Cs", "Cc")), min_size=1, max_size=80)
cloud_names = st.from_regex(r"[a-z][a-z0-9-]{0,20}", fullmatch=True)


@given(public_ids, cloud_names, st.sampled_from(["image", "video"]), st.sampled_from(["jpg", "png", "webp", "mp4"]))
@example("a_", "c", "image", "jpg")
@example("upload", "upload", "image", "jpg")
def test_filename_round_trips_through_the_theme_decoder(public_id, cloud, resource_type, ext):
    decoded = decode_filename(all_metadata_filename(cloud, resource_type, "upload", public_id, ext))
    assert decoded is not None
    assert decoded.public_id == public_id
    assert (decoded.cloud_name, decoded.resource_type, decoded.delivery_type, decoded.extension) == (
        cloud, resource_type, "upload", ext)


@pytest.mark.parametrize("source,kw,expected", [
    ("display_name", {"display_name": "ABC front"}, "ABC front"),
    ("display_name", {}, "abc-1_front"),
    ("public_id", {}, "shoes/abc-1_front"),
    ("metadata:alt_en", {"metadata": {"alt_en": " Red shoe "}}, "Red shoe"),
    ("metadata:colors", {"metadata": {"colors": ["red", "blue"]}}, "red, blue"),
    ("metadata:missing", {}, ""),
    ("context:caption", {"context": {"caption": "Cap"}}, "Cap"),
    ("context:caption", {"context": {"custom": {"caption": "Nested"}}}, "Nested"),
    ("none", {"display_name": "x"}, ""),
    ("none", {"alt": "Given wins"}, "Given wins"),
    ("public_id", {"alt": "  "}, "shoes/abc-1_front"),
])
def test_alt_text(source, kw, expected):
    assert alt_text(A(**kw), source) == expected


def test_alt_text_capped_at_shopify_limit():
    assert len(alt_text(A(alt="x" * 600), "none")) == 512


def test_image_delivery_url_uses_the_sdk_and_default_transformation():
    settings = Settings(default_transformation="w_1200,h_1200,c_fill")
    d = delivery_for(A(), "acme", settings)
    assert d.url == ("https://res.cloudinary.com/acme/image/upload/w_1200,h_1200,c_fill/v1711111111/"
                     "shoes/abc-1_front.jpg")
    assert (d.kind, d.content_type, d.format) == ("image", "IMAGE", "jpg")
    assert delivery_for(A(format="tiff"), "acme", Settings()).url.endswith(".jpg")
    assert delivery_for(A(format="svg"), "acme", Settings()).format == "png"


def test_video_deliveries():
    video = A(public_id="clips/run", resource_type="video", format="mov", version=5)
    still = delivery_for(video, "acme", Settings())
    assert still.kind == "video_placeholder" and still.content_type == "IMAGE"
    assert still.url.startswith("https://res.cloudinary.com/acme/video/upload/so_auto/")
    assert "l_text:Arial_200:%E2%96%BA" in still.url and still.url.endswith("/v5/clips/run.jpg")
    full = delivery_for(video, "acme", Settings(video_behavior="full_video"))
    assert full.url == "https://res.cloudinary.com/acme/video/upload/v5/clips/run.mp4"
    assert full.content_type == "VIDEO"
    assert delivery_for(video, "acme", Settings(video_behavior="none")).url is None
    assert swatch_delivery(video, "acme", Settings()).url.endswith("/so_auto/v5/clips/run.jpg")


def test_sdk_global_config_untouched():
    import cloudinary
    before = cloudinary.config().cloud_name
    delivery_for(A(), "acme", Settings())
    assert cloudinary.config().cloud_name == before


def test_schema_file_is_the_model():
    """jobs/schemas/productmedia_v1.schema.json is generated from the model;
    regenerate it with `python -m jobs.planner.productmedia` after a change."""
    assert json.loads(SCHEMA_PATH.read_text()) == json_schema()


def test_document_round_trip_and_rejects():
    entry = ProductMediaEntry(public_id="v1800/shoes/a", resource_type="image", alt="A", media_id="gid://x/1",
                              cloud_name="acme", delivery="image", cache_bust=1800)
    assert entry.raw_public_id == "shoes/a"
    text = dump_document([entry])
    assert parse_document(text) == ([entry], None)
    assert parse_document(None) == ([], None)
    entries, error = parse_document('[{"public_id": 3}]')
    assert entries == [] and "unreadable" in error
    assert parse_document("not json")[0] == []
    schema = json_schema()
    assert schema["type"] == "array"
    required = set(schema["$defs"]["ProductMediaEntry"]["required"])
    assert {"public_id", "resource_type", "alt", "media_id"} <= required
