"""Uploads, versions, explicit, rename, destroy, tags/context/metadata
commands and the Admin API's resource calls, through the real SDK."""
from __future__ import annotations

import base64

import cloudinary.api
import cloudinary.uploader
import pytest
from cloudinary.exceptions import BadRequest, NotFound

from .support import image_bytes, video_bytes


@pytest.fixture
def sku(cld):
    cld.add_field("sku")
    cld.add_field("sequence_number", "integer")
    return cld


def test_upload_reports_the_files_own_properties(cld):
    result = cloudinary.uploader.upload(image_bytes("JPEG", (640, 480)), public_id="shoes/front", **cld.opts)
    assert (result["resource_type"], result["format"], result["width"], result["height"]) == ("image", "jpg", 640, 480)
    assert result["type"] == "upload" and result["version"] >= 1 and len(result["asset_id"]) == 32
    assert result["secure_url"] == (f"https://res.cloudinary.com/{cld.cloud_name}/image/upload/"
                                    f"v{result['version']}/shoes/front.jpg")
    assert result["display_name"] == "front"


def test_pipe_encoded_metadata_as_in_the_rest_api(sku):
    result = cloudinary.uploader.upload(image_bytes(), public_id="p", metadata="sku=ABC|sequence_number=2",
                                        **sku.opts)
    assert result["metadata"] == {"sku": "ABC", "sequence_number": 2}
    escaped = cloudinary.uploader.upload(image_bytes(), public_id="q", metadata={"sku": "A=B|C"}, **sku.opts)
    assert escaped["metadata"]["sku"] == "A=B|C"


def test_overwrite_makes_a_new_version_of_the_same_asset(sku):
    first = cloudinary.uploader.upload(image_bytes(), public_id="p", metadata={"sku": "A"}, tags=["x"], **sku.opts)
    second = cloudinary.uploader.upload(image_bytes(color="blue"), public_id="p", **sku.opts)
    assert second["asset_id"] == first["asset_id"]
    assert second["version"] > first["version"] and second["version_id"] != first["version_id"]
    assert second["overwritten"] is True
    resource = cloudinary.api.resource("p", **sku.opts)
    assert resource["version"] == second["version"]
    assert resource["metadata"] == {"sku": "A"} and resource["tags"] == ["x"]  # kept when not given


def test_overwrite_false_answers_the_existing_asset(cld):
    first = cloudinary.uploader.upload(image_bytes(), public_id="p", **cld.opts)
    again = cloudinary.uploader.upload(image_bytes(color="blue"), public_id="p", overwrite=False, **cld.opts)
    assert again["existing"] is True and again["version"] == first["version"]


def test_folder_use_filename_display_name_and_asset_folder(cld):
    named = cloudinary.uploader.upload(image_bytes(), folder="products/shoes", use_filename=True,
                                       unique_filename=False, filename="trail runner.png", **cld.opts)
    assert named["public_id"] == "products/shoes/trail_runner"
    assert named["asset_folder"] == "products/shoes"
    shown = cloudinary.uploader.upload(image_bytes(), public_id="x", display_name="Trail Runner",
                                       asset_folder="catalog", **cld.opts)
    assert (shown["public_id"], shown["display_name"], shown["asset_folder"]) == ("x", "Trail Runner", "catalog")
    unique = cloudinary.uploader.upload(image_bytes(), use_filename=True, filename="front.png", **cld.opts)
    assert unique["public_id"].startswith("front_") and len(unique["public_id"]) == len("front_") + 6
    random = cloudinary.uploader.upload(image_bytes(), **cld.opts)
    assert len(random["public_id"]) == 20


def test_invalid_public_ids(cld):
    for bad in ("a?b", "/lead", "trail/", "x" * 256, "a%b"):
        with pytest.raises(BadRequest):
            cloudinary.uploader.upload(image_bytes(), public_id=bad, **cld.opts)


def test_file_must_match_the_resource_type(cld):
    with pytest.raises(BadRequest, match="Invalid image file"):
        cloudinary.uploader.upload(b"not an image", public_id="p", **cld.opts)
    raw = cloudinary.uploader.upload(b"col1,col2\n", public_id="data.csv", resource_type="raw", **cld.opts)
    assert raw["resource_type"] == "raw" and raw["secure_url"].endswith("/raw/upload/v%d/data.csv" % raw["version"])
    auto = cloudinary.uploader.upload(image_bytes(), public_id="auto", resource_type="auto", **cld.opts)
    assert auto["resource_type"] == "image"


def test_video_upload_is_probed(cld):
    result = cloudinary.uploader.upload(video_bytes(1.0, (160, 96)), public_id="clips/spin", resource_type="video",
                                        **cld.opts)
    assert (result["resource_type"], result["format"], result["width"], result["height"]) == ("video", "mp4", 160, 96)
    assert result["duration"] == pytest.approx(1.0, abs=0.15)


def test_data_uri_upload(cld):
    uri = "data:image/png;base64," + base64.b64encode(image_bytes()).decode()
    assert cloudinary.uploader.upload(uri, public_id="d", **cld.opts)["format"] == "png"


def test_explicit_updates_without_a_new_version(sku):
    first = cloudinary.uploader.upload(image_bytes(), public_id="p", **sku.opts)
    result = cloudinary.uploader.explicit("p", type="upload", metadata={"sku": "B"}, tags=["t"], **sku.opts)
    assert result["version"] == first["version"] and result["metadata"] == {"sku": "B"} and result["tags"] == ["t"]
    with pytest.raises(NotFound, match="Resource not found - nothing"):
        cloudinary.uploader.explicit("nothing", type="upload", **sku.opts)


def test_update_metadata_command(sku):
    cloudinary.uploader.upload(image_bytes(), public_id="a", metadata={"sku": "A", "sequence_number": 1}, **sku.opts)
    cloudinary.uploader.upload(image_bytes(), public_id="b", **sku.opts)
    result = cloudinary.uploader.update_metadata({"sku": "Z"}, ["a", "b", "missing"], **sku.opts)
    assert result == {"public_ids": ["a", "b"]}
    resources = cloudinary.api.resources_by_ids(["a", "b"], metadata=True, **sku.opts)["resources"]
    assert [r["metadata"] for r in resources] == [{"sku": "Z", "sequence_number": 1}, {"sku": "Z"}]
    cloudinary.uploader.update_metadata({"sequence_number": ""}, ["a"], **sku.opts)
    assert cloudinary.api.resource("a", **sku.opts)["metadata"] == {"sku": "Z"}
    with pytest.raises(BadRequest, match="do not exist"):
        cloudinary.uploader.update_metadata({"nope": "1"}, ["a"], **sku.opts)


def test_admin_update(sku):
    cloudinary.uploader.upload(image_bytes(), public_id="p", tags=["a"], context={"alt": "x"}, **sku.opts)
    result = cloudinary.api.update("p", metadata={"sku": "N"}, tags=["b", "c"], context={"caption": "y"},
                                   display_name="Nice", **sku.opts)
    assert result["metadata"] == {"sku": "N"} and result["tags"] == ["b", "c"]
    assert result["context"] == {"custom": {"caption": "y"}} and result["display_name"] == "Nice"
    with pytest.raises(NotFound):
        cloudinary.api.update("missing", tags=["x"], **sku.opts)


def test_tag_commands(cld):
    for pid in ("a", "b"):
        cloudinary.uploader.upload(image_bytes(), public_id=pid, tags=["keep"], **cld.opts)
    cloudinary.uploader.add_tag("new", ["a", "b"], **cld.opts)
    cloudinary.uploader.remove_tag("keep", ["a"], **cld.opts)
    tags = {r["public_id"]: r["tags"] for r in cloudinary.api.resources_by_ids(["a", "b"], tags=True,
                                                                               **cld.opts)["resources"]}
    assert tags == {"a": ["new"], "b": ["keep", "new"]}
    cloudinary.uploader.replace_tag("only", ["b"], **cld.opts)
    cloudinary.uploader.add_tag("new", ["b"], exclusive=True, **cld.opts)
    tags = {r["public_id"]: r["tags"] for r in cloudinary.api.resources_by_ids(["a", "b"], tags=True,
                                                                               **cld.opts)["resources"]}
    assert tags == {"a": [], "b": ["only", "new"]}
    cloudinary.uploader.remove_all_tags(["b"], **cld.opts)
    assert cloudinary.api.resource("b", **cld.opts)["tags"] == []


def test_context_commands(cld):
    cloudinary.uploader.upload(image_bytes(), public_id="a", context={"alt": "one"}, **cld.opts)
    cloudinary.uploader.add_context({"caption": "c", "alt": "two"}, ["a"], **cld.opts)
    assert cloudinary.api.resource("a", **cld.opts)["context"] == {"custom": {"alt": "two", "caption": "c"}}
    cloudinary.uploader.add_context({"alt": ""}, ["a"], **cld.opts)
    assert cloudinary.api.resource("a", **cld.opts)["context"] == {"custom": {"caption": "c"}}
    cloudinary.uploader.remove_all_context(["a"], **cld.opts)
    assert "context" not in cloudinary.api.resource("a", **cld.opts)


def test_rename(cld):
    first = cloudinary.uploader.upload(image_bytes(), public_id="old", **cld.opts)
    cloudinary.uploader.upload(image_bytes(), public_id="taken", **cld.opts)
    renamed = cloudinary.uploader.rename("old", "new/name", **cld.opts)
    assert renamed["public_id"] == "new/name" and renamed["asset_id"] == first["asset_id"]
    with pytest.raises(NotFound):
        cloudinary.api.resource("old", **cld.opts)
    with pytest.raises(BadRequest, match="already exists"):
        cloudinary.uploader.rename("new/name", "taken", **cld.opts)
    assert cloudinary.uploader.rename("new/name", "taken", overwrite=True, **cld.opts)["public_id"] == "taken"
    with pytest.raises(NotFound):
        cloudinary.uploader.rename("gone", "x", **cld.opts)


def test_destroy_and_delete_resources(cld):
    for pid in ("a", "b", "c"):
        cloudinary.uploader.upload(image_bytes(), public_id=pid, **cld.opts)
    assert cloudinary.uploader.destroy("a", **cld.opts) == {"result": "ok"}
    assert cloudinary.uploader.destroy("a", **cld.opts) == {"result": "not found"}
    result = cloudinary.api.delete_resources(["b", "zz"], **cld.opts)
    assert result["deleted"] == {"b": "deleted", "zz": "not_found"} and result["partial"] is False
    assert [r["public_id"] for r in cloudinary.api.resources(**cld.opts)["resources"]] == ["c"]


def test_resource_by_asset_ids_and_listing(sku):
    ids = [cloudinary.uploader.upload(image_bytes(), public_id=f"list/{n}", metadata={"sku": f"S{n}"},
                                      **sku.opts)["asset_id"] for n in range(5)]
    by_asset = cloudinary.api.resources_by_asset_ids(ids[:2], metadata=True, **sku.opts)["resources"]
    assert [r["metadata"]["sku"] for r in by_asset] == ["S0", "S1"]
    assert cloudinary.api.resource_by_asset_id(ids[3], **sku.opts)["public_id"] == "list/3"
    seen, cursor = [], None
    while True:
        page = cloudinary.api.resources(type="upload", prefix="list/", max_results=2, next_cursor=cursor,
                                        **sku.opts)
        seen += [r["public_id"] for r in page["resources"]]
        assert all("metadata" not in r for r in page["resources"])  # only when asked
        cursor = page.get("next_cursor")
        if not cursor:
            break
    assert sorted(seen) == [f"list/{n}" for n in range(5)] and len(seen) == 5
    with pytest.raises(BadRequest):
        cloudinary.api.resources(max_results=501, **sku.opts)


def test_resource_details_include_tags_context_metadata(sku):
    cloudinary.uploader.upload(image_bytes(), public_id="p", tags=["t"], context={"alt": "A"},
                               metadata={"sku": "S"}, **sku.opts)
    resource = cloudinary.api.resource("p", **sku.opts)
    assert (resource["tags"], resource["context"], resource["metadata"]) == (["t"], {"custom": {"alt": "A"}},
                                                                             {"sku": "S"})
    assert resource["uploaded_at"] and resource["bytes"] > 0
