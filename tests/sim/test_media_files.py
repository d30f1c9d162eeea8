"""Files and product media in the simulator: asynchronous processing,
fileCreate/fileUpdate/fileDelete rules, staged uploads, reordering and
variant media."""
from __future__ import annotations

from .graphql_support import (DOMAIN, FILE_CREATE, FILE_UPDATE, GALLERY, PROCESSING_DELAY, create_ready_image,
                              gallery_ids, product_gid, shirt)

FILE_STATUS = "query($id: ID!) { node(id: $id) { ... on File { fileStatus fileErrors { code message } } } }"


def status_of(sim, file_id):
    return sim.data(FILE_STATUS, {"id": file_id})["node"]


def test_files_move_from_uploaded_through_processing_to_ready(sim_api):
    sim_api.create_shop()
    body = sim_api.data(FILE_CREATE, {"files": [{"originalSource": "https://img.example.com/a.png", "alt": "A"}]})
    created = body["fileCreate"]["files"][0]
    assert created["fileStatus"] == "UPLOADED" and created["image"] is None
    assert created["id"].startswith("gid://shopify/MediaImage/")
    # As captured: the next read already reports PROCESSING.
    sim_api.clock.advance(0.001)
    assert status_of(sim_api, created["id"])["fileStatus"] == "PROCESSING"
    sim_api.clock.advance(PROCESSING_DELAY * 0.6)
    assert status_of(sim_api, created["id"])["fileStatus"] == "PROCESSING"
    sim_api.clock.advance(PROCESSING_DELAY * 0.5)
    assert status_of(sim_api, created["id"]) == {"fileStatus": "READY", "fileErrors": []}
    image = sim_api.data("query($id: ID!) { node(id: $id) { ... on MediaImage { image { url } } } }",
                         {"id": created["id"]})["node"]["image"]
    assert image["url"].startswith("https://cdn.shopify.com/s/files/1/") and "/files/a.png?v=" in image["url"]


def test_a_named_image_is_served_under_its_name_a_generic_file_under_its_sources(sim_api):
    # Captured twice (2026-04 media-file-interface-fields, media-file-update-source-semantics): with
    # `filename` given, an image is served as …/files/<filename>, a generic file as …/files/<the
    # source's last segment> (…/pdf/dummy.pdf → …/files/dummy.pdf).
    sim_api.create_shop()
    created = sim_api.data(FILE_CREATE, {"files": [
        {"originalSource": "https://img.example.com/600x400.jpg", "filename": "named-image.jpg",
         "contentType": "IMAGE"},
        {"originalSource": "https://docs.example.net/pdf/dummy.pdf", "filename": "named-generic.pdf",
         "contentType": "FILE"}]})["fileCreate"]["files"]
    sim_api.finish_processing()
    read = sim_api.data("query($ids: [ID!]!) { nodes(ids: $ids) { ... on MediaImage { image { url } } "
                        "... on GenericFile { url } } }", {"ids": [f["id"] for f in created]})["nodes"]
    assert "/files/named-image.jpg?v=" in read[0]["image"]["url"]
    assert "/files/dummy.pdf?v=" in read[1]["url"]


def test_replacing_a_files_source_keeps_the_name_it_is_served_under(sim_api):
    # Captured (2026-04 media-file-update-source-semantics): fileUpdate `originalSource` of a READY generic
    # file served as …/files/dummy.pdf, from …/pdf-table/table.pdf, answers and is read as …/files/dummy.pdf
    # with a new `?v=`; the image keeps its name too.
    sim_api.create_shop()
    created = sim_api.data(FILE_CREATE, {"files": [
        {"originalSource": "https://docs.example.net/pdf/dummy.pdf", "contentType": "FILE"},
        {"originalSource": "https://img.example.com/600x400.jpg", "filename": "seed.jpg", "contentType": "IMAGE"},
    ]})["fileCreate"]["files"]
    sim_api.finish_processing()
    read = "query($ids: [ID!]!) { nodes(ids: $ids) { ... on MediaImage { image { url } } ... on GenericFile { url } } }"
    before = sim_api.data(read, {"ids": [f["id"] for f in created]})["nodes"]
    sim_api.clock.advance(5)
    body = sim_api.data(FILE_UPDATE, {"files": [
        {"id": created[0]["id"], "originalSource": "https://docs.example.net/pdf-table/table.pdf"},
        {"id": created[1]["id"], "originalSource": "https://img.example.com/640x480.jpg"}]})["fileUpdate"]
    assert body["userErrors"] == []
    sim_api.finish_processing()
    after = sim_api.data(read, {"ids": [f["id"] for f in created]})["nodes"]
    assert "/files/dummy.pdf?v=" in after[0]["url"] and after[0]["url"] != before[0]["url"]
    assert "/files/seed.jpg?v=" in after[1]["image"]["url"] and after[1]["image"]["url"] != before[1]["image"]["url"]


def test_injected_file_fault_makes_processing_fail(sim_api):
    sim_api.create_shop()
    r = sim_api.client.post(f"/_sim/shops/{DOMAIN}/faults",
                            json={"kind": "file_failure", "match": "broken", "code": "IMAGE_DOWNLOAD_FAILURE"})
    assert r.status_code == 201
    body = sim_api.data(FILE_CREATE, {"files": [{"originalSource": "https://img.example.com/broken.png"},
                                                {"originalSource": "https://img.example.com/fine.png"}]})
    broken, fine = (f["id"] for f in body["fileCreate"]["files"])
    sim_api.finish_processing()
    failed = status_of(sim_api, broken)
    assert failed["fileStatus"] == "FAILED"
    assert failed["fileErrors"][0]["code"] == "IMAGE_DOWNLOAD_FAILURE"
    assert status_of(sim_api, fine)["fileStatus"] == "READY"
    media = sim_api.data("query($id: ID!) { node(id: $id) { ... on Media { status mediaErrors { code } } } }",
                         {"id": broken})["node"]
    assert media == {"status": "FAILED", "mediaErrors": [{"code": "IMAGE_DOWNLOAD_FAILURE"}]}


def test_file_create_validation(sim_api):
    sim_api.create_shop()
    cases = [
        ({"originalSource": "https://img.example.com/a.png", "alt": "x" * 513},
         ["files", "0", "alt"], "ALT_VALUE_LIMIT_EXCEEDED"),
        ({"originalSource": "data:image/png;base64,iVBORw0KGgo="},
         ["files", "0", "originalSource"], "INVALID_IMAGE_SOURCE_URL"),
        ({"originalSource": "https://img.example.com/a.png", "filename": "a.jpg"},
         ["files", "0", "filename"], "MISMATCHED_FILENAME_AND_ORIGINAL_SOURCE"),
        ({"originalSource": "https://img.example.com/a.png", "filename": "a.png", "duplicateResolutionMode": "REPLACE"},
         ["files", "0", "duplicateResolutionMode"], "INVALID_DUPLICATE_MODE_FOR_TYPE"),
        ({"originalSource": "https://img.example.com/a.png", "contentType": "IMAGE",
          "duplicateResolutionMode": "REPLACE"},
         ["files", "0", "filename"], "MISSING_FILENAME_FOR_DUPLICATE_MODE_REPLACE"),
    ]
    for item, field, code in cases:
        body = sim_api.data(FILE_CREATE, {"files": [item]})
        assert body["fileCreate"]["files"] == []
        assert [(e["field"], e["code"]) for e in body["fileCreate"]["userErrors"]] == [(field, code)], item
    # One bad input creates nothing.
    body = sim_api.data(FILE_CREATE, {"files": [{"originalSource": "https://img.example.com/ok.png"},
                                                {"originalSource": "https://img.example.com/b.png", "alt": "y" * 513}]})
    assert body["fileCreate"]["userErrors"][0]["field"] == ["files", "1", "alt"]
    assert sim_api.shop_state()["files"] == []
    # 512 characters is the limit, not over it.
    body = sim_api.data(FILE_CREATE, {"files": [{"originalSource": "https://img.example.com/a.png", "alt": "x" * 512}]})
    assert body["fileCreate"]["userErrors"] == []


def test_videos_only_from_staged_uploads(sim_api):
    sim_api.create_shop()
    body = sim_api.data(FILE_CREATE, {"files": [{"originalSource": "https://videos.example.com/clip.mp4",
                                                "contentType": "VIDEO"}]})
    assert body["fileCreate"]["files"] == []
    assert body["fileCreate"]["userErrors"][0]["message"].startswith("Invalid video url=")
    staged = sim_api.data("""mutation($input: [StagedUploadInput!]!) { stagedUploadsCreate(input: $input) {
        stagedTargets { url resourceUrl parameters { name value } } userErrors { field message } } }""",
                          {"input": [{"resource": "VIDEO", "filename": "clip.mp4", "mimeType": "video/mp4"}]})
    assert staged["stagedUploadsCreate"]["userErrors"] == [{"field": ["input", "0", "fileSize"],
                                                            "message": "file size is required for video resources"}]
    staged = sim_api.data("""mutation($input: [StagedUploadInput!]!) { stagedUploadsCreate(input: $input) {
        stagedTargets { url resourceUrl parameters { name value } } userErrors { field message } } }""",
                          {"input": [{"resource": "VIDEO", "filename": "clip.mp4", "mimeType": "video/mp4",
                                      "fileSize": "11", "httpMethod": "POST"}]})
    target = staged["stagedUploadsCreate"]["stagedTargets"][0]
    assert target["url"].startswith("http://sim.test/_sim/uploads/")
    form = {p["name"]: p["value"] for p in target["parameters"]}
    path = target["url"].replace("http://sim.test", "")
    import io
    upload = sim_api.client.post(path, data={**form, "file": (io.BytesIO(b"hello video"), "clip.mp4")},
                                 content_type="multipart/form-data")
    assert upload.status_code == 201
    assert sim_api.client.get(target["resourceUrl"].replace("http://sim.test", "")).data == b"hello video"
    body = sim_api.data(FILE_CREATE, {"files": [{"originalSource": target["resourceUrl"], "contentType": "VIDEO"}]})
    assert body["fileCreate"]["userErrors"] == []
    video = body["fileCreate"]["files"][0]["id"]
    assert video.startswith("gid://shopify/Video/")
    assert status_of(sim_api, video)["fileStatus"] == "UPLOADED"  # videos wait for their upload
    sim_api.clock.advance(PROCESSING_DELAY * 1.2)
    assert status_of(sim_api, video)["fileStatus"] == "PROCESSING"  # and take longer
    sim_api.finish_processing()
    assert status_of(sim_api, video)["fileStatus"] == "READY"
    sources = sim_api.data("query($id: ID!) { node(id: $id) { ... on Video { filename sources { url } } } }",
                           {"id": video})["node"]
    assert sources["filename"] == "clip.mp4" and sources["sources"][0]["url"].startswith("https://cdn.shopify.com/")


def test_a_staged_upload_that_never_received_bytes_fails_processing(sim_api):
    sim_api.create_shop()
    staged = sim_api.data("""mutation { stagedUploadsCreate(input: [{resource: IMAGE, filename: "x.png",
        mimeType: "image/png"}]) { stagedTargets { resourceUrl } } }""")
    url = staged["stagedUploadsCreate"]["stagedTargets"][0]["resourceUrl"]
    body = sim_api.data(FILE_CREATE, {"files": [{"originalSource": url}]})
    file_id = body["fileCreate"]["files"][0]["id"]
    sim_api.finish_processing()
    assert status_of(sim_api, file_id)["fileStatus"] == "FAILED"


def test_duplicate_resolution_modes(sim_api):
    sim_api.create_shop()
    first = create_ready_image(sim_api, "https://img.example.com/dup.png", "one")
    body = sim_api.data(FILE_CREATE, {"files": [{"originalSource": "https://img.example.com/dup.png"}]})
    second = body["fileCreate"]["files"][0]["id"]
    names = {f["id"]: f["filename"] for f in sim_api.shop_state()["files"]}
    assert names[first] == "dup.png" and names[second].startswith("dup_") and names[second].endswith(".png")
    body = sim_api.data(FILE_CREATE, {"files": [{"originalSource": "https://img.example.com/dup.png",
                                                "duplicateResolutionMode": "RAISE_ERROR"}]})
    assert body["fileCreate"]["userErrors"][0]["code"] == "FILENAME_ALREADY_EXISTS"
    body = sim_api.data(FILE_CREATE, {"files": [{"originalSource": "https://other.example.com/v2/dup.png",
                                                "filename": "dup.png", "contentType": "IMAGE",
                                                "duplicateResolutionMode": "REPLACE", "alt": "two"}]})
    assert body["fileCreate"]["files"][0]["id"] == first
    state = {f["id"]: f for f in sim_api.shop_state()["files"]}
    assert state[first]["originalSource"] == "https://other.example.com/v2/dup.png" and state[first]["alt"] == "two"


def test_file_update_rules(sim_api):
    sim_api.create_shop()
    ready = create_ready_image(sim_api, "https://img.example.com/r.png", "r")
    fresh = sim_api.data(FILE_CREATE, {"files": [{"originalSource": "https://img.example.com/f.png"}]})
    fresh_id = fresh["fileCreate"]["files"][0]["id"]
    body = sim_api.data(FILE_UPDATE, {"files": [{"id": ready, "alt": "ok"}, {"id": fresh_id, "alt": "no"}]})
    assert body["fileUpdate"]["userErrors"] == [{"field": ["files"], "message": "Non-ready files cannot be updated.",
                                                 "code": "NON_READY_STATE"}]
    assert {f["id"]: f["alt"] for f in sim_api.shop_state()["files"]}[ready] == "r"  # whole batch refused
    body = sim_api.data(FILE_UPDATE, {"files": [{"id": "gid://shopify/MediaImage/999999999996", "alt": "x"}]})
    assert body["fileUpdate"]["userErrors"] == [{
        "field": ["files"], "code": "FILE_DOES_NOT_EXIST",
        "message": 'File id ["gid://shopify/MediaImage/999999999996"] does not exist.'}]
    sim_api.finish_processing()
    body = sim_api.data(FILE_UPDATE, {"files": [{"id": ready, "alt": "new alt"}, {"id": fresh_id, "alt": "z" * 513}]})
    # Row errors are partial: the valid row applies.
    assert [f["id"] for f in body["fileUpdate"]["files"]] == [ready]
    assert body["fileUpdate"]["userErrors"] == [{
        "field": ["files", "1", "alt"], "code": "ALT_VALUE_LIMIT_EXCEEDED",
        "message": "The alt value exceeds the maximum limit of 512 characters."}]
    body = sim_api.data(FILE_UPDATE, {"files": [{"id": ready, "filename": "renamed.jpg"}]})
    assert body["fileUpdate"]["userErrors"][0]["code"] == "INVALID_FILENAME_EXTENSION"
    body = sim_api.data(FILE_UPDATE, {"files": [{"id": ready, "filename": "renamed.png"}]})
    assert body["fileUpdate"]["userErrors"] == []
    assert {f["id"]: f["filename"] for f in sim_api.shop_state()["files"]}[ready] == "renamed.png"


def test_file_update_original_source_keeps_id_and_position_and_reprocesses(sim_api):
    sim_api.create_shop(products=[shirt(media=2)])
    pid = product_gid(sim_api, "red-shirt")
    first, second = gallery_ids(sim_api, pid)
    old_url = sim_api.data("query($id: ID!) { node(id: $id) { ... on MediaImage { image { url } } } }",
                           {"id": first})["node"]["image"]["url"]
    sim_api.clock.advance(5)
    body = sim_api.data(FILE_UPDATE, {"files": [{"id": first, "originalSource": "https://img.example.com/v2.jpg"}]})
    updated = body["fileUpdate"]["files"][0]
    assert updated["id"] == first and updated["fileStatus"] == "READY" and updated["image"] is None
    assert updated["preview"]["image"]["url"] == old_url
    assert gallery_ids(sim_api, pid) == [first, second]
    body = sim_api.data(FILE_UPDATE, {"files": [{"id": first, "alt": "again"}]})
    assert body["fileUpdate"]["userErrors"][0]["code"] == "NON_READY_STATE"
    sim_api.finish_processing()
    new_url = sim_api.data("query($id: ID!) { node(id: $id) { ... on MediaImage { image { url } } } }",
                           {"id": first})["node"]["image"]["url"]
    assert new_url != old_url


def test_references_add_and_remove_update_galleries_and_variant_media(sim_api):
    sim_api.create_shop(products=[shirt(media=1), shirt("Blue Shirt", skus=("BS-1",))])
    red, blue = product_gid(sim_api, "red-shirt"), product_gid(sim_api, "blue-shirt")
    image = create_ready_image(sim_api, "https://img.example.com/shared.png", "shared")
    body = sim_api.data(FILE_UPDATE, {"files": [{"id": image, "referencesToAdd": [red, blue]}]})
    assert body["fileUpdate"]["userErrors"] == []
    assert gallery_ids(sim_api, red)[-1] == image and gallery_ids(sim_api, blue) == [image]
    variant = sim_api.data(GALLERY, {"id": red})["product"]["variants"]["nodes"][0]["id"]
    attach = sim_api.data("""mutation($p: ID!, $vm: [ProductVariantAppendMediaInput!]!) {
        productVariantAppendMedia(productId: $p, variantMedia: $vm) { userErrors { field code } } }""",
                          {"p": red, "vm": [{"variantId": variant, "mediaIds": [image]}]})
    assert attach["productVariantAppendMedia"]["userErrors"] == []
    body = sim_api.data(FILE_UPDATE, {"files": [{"id": image, "referencesToRemove": [red]}]})
    assert body["fileUpdate"]["userErrors"] == []
    assert image not in gallery_ids(sim_api, red)
    assert gallery_ids(sim_api, blue) == [image]
    assert sim_api.data(GALLERY, {"id": red})["product"]["variants"]["nodes"][0]["media"]["nodes"] == []
    state = {f["id"]: f for f in sim_api.shop_state()["files"]}
    assert state[image]["products"] == [blue]  # the file stays in the library
    body = sim_api.data(FILE_UPDATE, {"files": [{"id": image, "referencesToAdd": ["gid://shopify/Product/1"]}]})
    assert body["fileUpdate"]["userErrors"][0]["code"] == "REFERENCE_TARGET_DOES_NOT_EXIST"


def test_references_need_write_products(sim_api):
    sim_api.create_shop(products=[shirt()])
    pid = product_gid(sim_api, "red-shirt")
    image = create_ready_image(sim_api, "https://img.example.com/a.png")
    token = sim_api.token(scopes=["read_files", "write_files", "read_products"])
    body = sim_api.gql(FILE_UPDATE, {"files": [{"id": image, "referencesToAdd": [pid]}]}, token=token)
    assert body["data"] == {"fileUpdate": None}
    assert body["errors"][0]["message"] == "Access denied: Missing permission to manage products."
    assert body["errors"][0]["extensions"]["code"] == "ACCESS_DENIED"
    assert gallery_ids(sim_api, pid) == []


def test_gallery_limit_of_250_via_references(sim_api):
    sim_api.create_shop(products=[shirt(media=250)])
    pid = product_gid(sim_api, "red-shirt")
    image = create_ready_image(sim_api, "https://img.example.com/one-too-many.png")
    body = sim_api.data(FILE_UPDATE, {"files": [{"id": image, "referencesToAdd": [pid]}]})
    assert body["fileUpdate"]["userErrors"][0]["code"] == "PRODUCT_MEDIA_LIMIT_EXCEEDED"
    assert len(gallery_ids(sim_api, pid)) == 250


def test_file_delete_removes_from_galleries_even_while_processing(sim_api):
    sim_api.create_shop(products=[shirt(media=2)])
    pid = product_gid(sim_api, "red-shirt")
    first, second = gallery_ids(sim_api, pid)
    pending = sim_api.data(FILE_CREATE, {"files": [{"originalSource": "https://img.example.com/p.png"}]})
    pending_id = pending["fileCreate"]["files"][0]["id"]
    mutation = ("mutation($ids: [ID!]!) { fileDelete(fileIds: $ids) { deletedFileIds "
                "userErrors { field message code } } }")
    body = sim_api.data(mutation, {"ids": [pending_id]})
    assert body["fileDelete"] == {"deletedFileIds": [pending_id], "userErrors": []}
    body = sim_api.data(mutation, {"ids": [first, "gid://shopify/MediaImage/5"]})
    assert body["fileDelete"]["userErrors"][0]["code"] == "FILE_DOES_NOT_EXIST"
    body = sim_api.data(mutation, {"ids": [first]})
    assert body["fileDelete"] == {"deletedFileIds": [first], "userErrors": []}
    assert gallery_ids(sim_api, pid) == [second]


REORDER = """mutation($id: ID!, $moves: [MoveInput!]!) {
  productReorderMedia(id: $id, moves: $moves) { job { id done } mediaUserErrors { field message code } } }"""


def test_reorder_applies_moves_in_order_when_the_job_completes(sim_api):
    """Shopify's captured example: gallery [F, D, S, B] with moves S→0, D→3,
    S→2, S→2 ends as [F, B, S, D] (each position is zero-based and read
    after the previous moves)."""
    sim_api.create_shop(products=[shirt(media=4)])
    pid = product_gid(sim_api, "red-shirt")
    f, d, s, b = gallery_ids(sim_api, pid)
    moves = [{"id": s, "newPosition": "0"}, {"id": d, "newPosition": "3"},
             {"id": s, "newPosition": "2"}, {"id": s, "newPosition": "2"}]
    body = sim_api.data(REORDER, {"id": pid, "moves": moves})
    job = body["productReorderMedia"]["job"]
    assert job["done"] is False and job["id"].startswith("gid://shopify/Job/")
    assert gallery_ids(sim_api, pid) == [f, d, s, b]  # not yet
    assert sim_api.data("query($id: ID!) { job(id: $id) { done } }", {"id": job["id"]})["job"]["done"] is False
    sim_api.finish_processing()
    done = sim_api.data("query($id: ID!) { job(id: $id) { done query { shop { name } } } }", {"id": job["id"]})
    assert done["job"] == {"done": True, "query": {"shop": {"name": "Acme"}}}
    assert gallery_ids(sim_api, pid) == [f, b, s, d]
    assert [m["id"] for m in sim_api.shop_state()["products"][0]["media"]] == [f, b, s, d]


def test_reorder_positions_past_the_end_and_unknown_ids(sim_api):
    sim_api.create_shop(products=[shirt(media=3)])
    pid = product_gid(sim_api, "red-shirt")
    a, b, c = gallery_ids(sim_api, pid)
    body = sim_api.data(REORDER, {"id": pid, "moves": [{"id": a, "newPosition": "99"},
                                                       {"id": "gid://shopify/MediaImage/1", "newPosition": "0"}]})
    assert body["productReorderMedia"]["mediaUserErrors"] == []
    sim_api.finish_processing()
    assert gallery_ids(sim_api, pid) == [b, c, a]
    body = sim_api.data(REORDER, {"id": "gid://shopify/Product/1", "moves": []})
    assert body["productReorderMedia"] == {"job": None, "mediaUserErrors": [
        {"field": ["id"], "message": "Product does not exist", "code": "PRODUCT_DOES_NOT_EXIST"}]}


def test_variant_media_append_and_detach_rules(sim_api):
    sim_api.create_shop(products=[shirt(skus=("A", "B"), media=2)])
    pid = product_gid(sim_api, "red-shirt")
    m1, m2 = gallery_ids(sim_api, pid)
    v1, v2 = (v["id"] for v in sim_api.data(GALLERY, {"id": pid})["product"]["variants"]["nodes"])
    append = """mutation($p: ID!, $vm: [ProductVariantAppendMediaInput!]!) {
      productVariantAppendMedia(productId: $p, variantMedia: $vm) { productVariants { id }
        userErrors { field message code } } }"""
    detach = append.replace("productVariantAppendMedia", "productVariantDetachMedia").replace(
        "ProductVariantAppendMediaInput", "ProductVariantDetachMediaInput")
    body = sim_api.data(append, {"p": pid, "vm": [{"variantId": v1, "mediaIds": [m1, m2]}]})
    assert body["productVariantAppendMedia"]["userErrors"][0]["code"] == "TOO_MANY_MEDIA_PER_INPUT_PAIR"
    body = sim_api.data(append, {"p": pid, "vm": [{"variantId": v1, "mediaIds": [m1]},
                                                  {"variantId": v1, "mediaIds": [m2]}]})
    assert body["productVariantAppendMedia"]["userErrors"][0]["code"] == "PRODUCT_VARIANT_SPECIFIED_MULTIPLE_TIMES"
    body = sim_api.data(append, {"p": pid, "vm": [{"variantId": v1, "mediaIds": [m1]},
                                                  {"variantId": v2, "mediaIds": [m2]}]})
    assert body["productVariantAppendMedia"]["userErrors"] == []
    body = sim_api.data(append, {"p": pid, "vm": [{"variantId": v1, "mediaIds": [m2]}]})
    assert body["productVariantAppendMedia"]["userErrors"][0]["code"] == "PRODUCT_VARIANT_ALREADY_HAS_MEDIA"
    body = sim_api.data(detach, {"p": pid, "vm": [{"variantId": v1, "mediaIds": [m2]}]})
    assert body["productVariantDetachMedia"]["userErrors"][0]["code"] == "MEDIA_IS_NOT_ATTACHED_TO_VARIANT"
    body = sim_api.data(detach, {"p": pid, "vm": [{"variantId": v1, "mediaIds": [m1]}]})
    assert body["productVariantDetachMedia"]["userErrors"] == []
    variants = {v["id"]: v["media"] for v in sim_api.shop_state()["products"][0]["variants"]}
    assert variants == {v1: None, v2: m2}


def test_files_query_filters_and_pages(sim_api):
    sim_api.create_shop()
    ids = [create_ready_image(sim_api, f"https://img.example.com/f{i}.png", f"alt {i}") for i in range(3)]
    sim_api.data(FILE_CREATE, {"files": [{"originalSource": "https://docs.example.com/manual.pdf"}]})
    sim_api.clock.advance(0.001)
    query = "query($q: String) { files(first: 10, query: $q) { nodes { id ... on GenericFile { mimeType } } } }"
    assert [n["id"] for n in sim_api.data(query, {"q": "media_type:IMAGE"})["files"]["nodes"]] == ids
    assert [n["id"] for n in sim_api.data(query, {"q": "filename:f1.png"})["files"]["nodes"]] == [ids[1]]
    pending = sim_api.data(query, {"q": "status:PROCESSING"})["files"]["nodes"]
    assert len(pending) == 1 and pending[0]["mimeType"] is None  # known once processed
    sim_api.finish_processing()
    ready = sim_api.data(query, {"q": "media_type:GENERIC_FILE status:READY"})["files"]["nodes"]
    assert [n["id"] for n in ready] == [pending[0]["id"]] and ready[0]["mimeType"] == "application/pdf"


def test_file_create_checks_in_shopifys_order_and_extensions_case_sensitively(sim_api):
    sim_api.create_shop()
    body = sim_api.data(FILE_CREATE, {"files": [{"originalSource": "data:image/jpeg;base64,abc",
                                                "filename": "x.png"}]})
    assert body["fileCreate"]["userErrors"][0]["code"] == "INVALID_IMAGE_SOURCE_URL"
    body = sim_api.data(FILE_CREATE, {"files": [{"originalSource": "https://img.example.com/a.png",
                                                "filename": "a.gif", "contentType": "VIDEO",
                                                "duplicateResolutionMode": "REPLACE"}]})
    assert body["fileCreate"]["userErrors"][0]["code"] == "MISMATCHED_FILENAME_AND_ORIGINAL_SOURCE"
    body = sim_api.data(FILE_CREATE, {"files": [{"originalSource": "https://img.example.com/600x400.PNG",
                                                "filename": "upper.png"}]})
    assert body["fileCreate"]["userErrors"][0]["code"] == "MISMATCHED_FILENAME_AND_ORIGINAL_SOURCE"
    body = sim_api.gql(FILE_CREATE, {"files": [{"originalSource": ""}]})
    assert body["data"] == {"fileCreate": None}
    assert body["errors"][0]["message"] == "originalSource is too short (minimum is 1)"
    assert body["errors"][0]["extensions"] == {"code": "INVALID_FIELD_ARGUMENTS"}


def test_file_delete_accepts_a_gid_of_another_file_type(sim_api):
    sim_api.create_shop()
    image = create_ready_image(sim_api, "https://img.example.com/typed.png")
    as_video = image.replace("MediaImage", "Video")
    body = sim_api.data("mutation($ids: [ID!]!) { fileDelete(fileIds: $ids) { deletedFileIds } }", {"ids": [as_video]})
    assert body["fileDelete"]["deletedFileIds"] == [image]


def test_acknowledge_update_failed_resets_a_failed_file(sim_api):
    sim_api.create_shop()
    sim_api.client.post(f"/_sim/shops/{DOMAIN}/faults", json={"kind": "file_failure", "match": "bad-v2"})
    image = create_ready_image(sim_api, "https://img.example.com/ack.png")
    ack = """mutation($ids: [ID!]!) { fileAcknowledgeUpdateFailed(fileIds: $ids) {
        files { id fileStatus } userErrors { field message code } } }"""
    sim_api.data(FILE_UPDATE, {"files": [{"id": image, "originalSource": "https://img.example.com/bad-v2.png"}]})
    body = sim_api.data(ack, {"ids": [image]})
    assert body["fileAcknowledgeUpdateFailed"] == {"files": None, "userErrors": [{
        "field": ["fileIds"], "code": "NON_READY_STATE",
        "message": f"File with id {image} is not in the READY state."}]}
    sim_api.finish_processing()
    assert status_of(sim_api, image)["fileStatus"] == "FAILED"
    body = sim_api.data(ack, {"ids": [image]})
    assert body["fileAcknowledgeUpdateFailed"] == {"files": [{"id": image, "fileStatus": "READY"}], "userErrors": []}
    assert status_of(sim_api, image) == {"fileStatus": "READY", "fileErrors": []}


STAGED = """mutation($input: [StagedUploadInput!]!) { stagedUploadsCreate(input: $input) {
  stagedTargets { url resourceUrl parameters { name value } } userErrors { field message } } }"""


def test_staged_targets_have_shopifys_shape_per_resource(sim_api):
    sim_api.create_shop()
    body = sim_api.data(STAGED, {"input": [
        {"resource": "IMAGE", "filename": "a.png", "mimeType": "image/png", "httpMethod": "POST"},
        {"resource": "VIDEO", "filename": "v.mp4", "mimeType": "video/mp4", "httpMethod": "POST", "fileSize": "9"},
        {"resource": "FILE", "filename": "f.txt", "mimeType": "text/plain"},
        {"resource": "IMAGE", "filename": "x.exe", "mimeType": "application/x-msdownload", "httpMethod": "POST"}]})
    image, video, put, bad = body["stagedUploadsCreate"]["stagedTargets"]
    assert [p["name"] for p in image["parameters"]] == [
        "Content-Type", "success_action_status", "acl", "key", "x-goog-date", "x-goog-credential",
        "x-goog-algorithm", "x-goog-signature", "policy"]
    assert [p["name"] for p in video["parameters"]] == ["GoogleAccessId", "key", "policy", "signature"]
    assert [p["name"] for p in put["parameters"]] == ["content_type", "acl"]
    assert bad == {"url": None, "resourceUrl": None, "parameters": []}
    assert body["stagedUploadsCreate"]["userErrors"] == [{
        "field": ["input", "3", "mimeType"], "message": "x.exe: (application/x-msdownload) is not a recognized format"}]
    body = sim_api.data(STAGED, {"input": [{"resource": "VIDEO", "filename": "v.mp4", "mimeType": "video/mp4"}]})
    assert body["stagedUploadsCreate"]["stagedTargets"] == [{"url": None, "resourceUrl": None, "parameters": []}]


PRODUCT_MEDIA_FIELDS = "userErrors { field message } mediaUserErrors { field message code }"


def test_deprecated_update_and_delete_media_are_all_or_nothing(sim_api):
    sim_api.create_shop(products=[shirt(media=2)])
    pid = product_gid(sim_api, "red-shirt")
    first, second = gallery_ids(sim_api, pid)
    update = f"""mutation($p: ID!, $m: [UpdateMediaInput!]!) {{ productUpdateMedia(productId: $p, media: $m) {{
        media {{ id alt }} {PRODUCT_MEDIA_FIELDS} }} }}"""
    missing = ["gid://shopify/MediaImage/999999999998", "gid://shopify/MediaImage/999999999999"]
    body = sim_api.data(update, {"p": pid, "m": [{"id": first, "alt": "new"}] + [{"id": m} for m in missing]})
    result = body["productUpdateMedia"]
    assert result["media"] is None
    assert result["mediaUserErrors"] == [{"field": ["media"], "code": "MEDIA_DOES_NOT_EXIST",
                                          "message": f"Media ids {missing[0]},{missing[1]} do not exist"}]
    assert result["userErrors"] == [{"field": ["media"],
                                     "message": f"Media ids {missing[0]},{missing[1]} do not exist"}]
    body = sim_api.data(update, {"p": pid, "m": [{"id": first, "alt": "new"}]})
    assert body["productUpdateMedia"]["media"] == [{"id": first, "alt": "new"}]
    delete = f"""mutation($p: ID!, $ids: [ID!]!) {{ productDeleteMedia(productId: $p, mediaIds: $ids) {{
        deletedMediaIds deletedProductImageIds {PRODUCT_MEDIA_FIELDS} }} }}"""
    body = sim_api.data(delete, {"p": pid, "ids": [first, missing[0]]})
    assert body["productDeleteMedia"]["deletedMediaIds"] is None
    assert body["productDeleteMedia"]["mediaUserErrors"][0]["message"] == f"Media id {missing[0]} does not exist"
    body = sim_api.data(delete, {"p": pid, "ids": [first]})
    assert body["productDeleteMedia"]["deletedMediaIds"] == [first]
    # The ProductImage has an id of its own (see test_gallery_images_have_product_image_ids_of_their_own).
    (image_id,) = body["productDeleteMedia"]["deletedProductImageIds"]
    assert image_id.startswith("gid://shopify/ProductImage/")
    assert image_id != first.replace("MediaImage", "ProductImage")
    assert gallery_ids(sim_api, pid) == [second]
    assert first not in {f["id"] for f in sim_api.shop_state()["files"]}


def test_file_update_quirks_captured_from_shopify(sim_api):
    sim_api.create_shop()
    a = create_ready_image(sim_api, "https://img.example.com/qa.jpg")
    b = create_ready_image(sim_api, "https://img.example.com/qb.jpg")
    # One batch error however many files share the problem.
    body = sim_api.data(FILE_UPDATE, {"files": [{"id": a, "filename": "x.png"}, {"id": b, "filename": "y.gif"}]})
    assert body["fileUpdate"]["userErrors"] == [{
        "field": ["files"], "code": "INVALID_FILENAME_EXTENSION",
        "message": "The filename extension provided must match the original filename."}]
    # A bad originalSource on an image is reported at previewImageSource.
    body = sim_api.data(FILE_UPDATE, {"files": [{"id": a, "originalSource": "not-a-url"}]})
    assert body["fileUpdate"]["userErrors"] == [{"field": ["files", "0", "previewImageSource"],
                                                 "message": "Invalid image source url value provided",
                                                 "code": "INVALID_IMAGE_SOURCE_URL"}]
    # A new preview of an image is a new image: reprocessed, old preview kept meanwhile.
    body = sim_api.data(FILE_UPDATE, {"files": [{"id": b, "previewImageSource": "https://img.example.com/qb2.jpg"}]})
    updated = body["fileUpdate"]["files"][0]
    assert updated["fileStatus"] == "READY" and updated["image"] is None and updated["preview"]["image"]["url"]


def test_youtube_links_are_normalised_like_shopify(sim_api):
    sim_api.create_shop()
    body = sim_api.data("""mutation($f: [FileCreateInput!]!) { fileCreate(files: $f) { files {
        ... on ExternalVideo { originUrl embedUrl } } userErrors { code } } }""",
                        {"f": [{"originalSource": "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
                                "contentType": "EXTERNAL_VIDEO"}]})
    assert body["fileCreate"]["files"] == [{"originUrl": "https://youtu.be/dQw4w9WgXcQ",
                                            "embedUrl": "https://www.youtube.com/embed/dQw4w9WgXcQ"}]


def test_unknown_staged_upload_resource_lists_values_in_shopifys_declaration_order(sim_api):
    # Captured (media-staged-uploads-create-validation): Shopify names the
    # allowed values in declaration order, not the introspection's sorted order.
    sim_api.create_shop()
    body = sim_api.gql(STAGED, {"input": [{"resource": "BANANA", "filename": "a.png", "mimeType": "image/png"}]})
    assert body["errors"][0]["extensions"]["problems"][0]["explanation"] == (
        'Expected "BANANA" to be one of: COLLECTION_IMAGE, FILE, IMAGE, MODEL_3D, PRODUCT_IMAGE, SHOP_IMAGE, '
        "VIDEO, BULK_MUTATION_VARIABLES, RETURN_LABEL, URL_REDIRECT_IMPORT, DISPUTE_FILE_UPLOAD")


def test_processed_urls_have_shopifys_shape_and_a_known_url_is_kept(sim_api):
    # Captured: shop 92891250994 serves .../s/files/1/0928/9125/0994/files/<name>?v=<updatedAt epoch>.
    sim_api.create_shop()
    sim_api.state.shops[DOMAIN].id = 92891250994
    file_id = create_ready_image(sim_api, "https://img.example.com/shape.png")
    node = sim_api.data("query($id: ID!) { node(id: $id) { ... on MediaImage { updatedAt image { url } } } }",
                        {"id": file_id})["node"]
    from datetime import datetime
    version = int(datetime.fromisoformat(node["updatedAt"].replace("Z", "+00:00")).timestamp())
    assert node["image"]["url"] == f"https://cdn.shopify.com/s/files/1/0928/9125/0994/files/shape.png?v={version}"
    # A store's existing file keeps the URL Shopify served (productUpdateMedia-parity-plan),
    # until its source is replaced; then the old one is served while reprocessing.
    catalog = sim_api.state.shops[DOMAIN].catalog
    f = catalog.files[int(file_id.rsplit("/", 1)[1])]
    served = f.processed_url = "https://cdn.shopify.com/s/files/1/0637/5541/9881/files/png.png?v=1776550664"
    read = "query($id: ID!) { node(id: $id) { ... on MediaImage { image { url } } } }"
    assert sim_api.data(read, {"id": file_id})["node"]["image"]["url"] == served
    updated = sim_api.data(FILE_UPDATE, {"files": [{"id": file_id, "originalSource": "https://img.example.com/new.png"}]})
    assert updated["fileUpdate"]["files"][0]["preview"]["image"]["url"] == served
    sim_api.finish_processing()
    assert "/0928/9125/0994/files/" in sim_api.data(read, {"id": file_id})["node"]["image"]["url"]


def test_gallery_images_have_product_image_ids_of_their_own(sim_api):
    # Captured (productDeleteMedia-parity-plan): MediaImage/39467722375401 was
    # ProductImage/48929036730601 in its product; deletedProductImageIds names the latter.
    sim_api.create_shop(products=[shirt(media=2)])
    sim_api.finish_processing()
    pid = product_gid(sim_api, "red-shirt")
    media_ids = gallery_ids(sim_api, pid)
    read = """query($id: ID!) { product(id: $id) { images(first: 5) { nodes { id } } featuredImage { id }
        media(first: 5) { nodes { ... on MediaImage { image { id } } } } } }"""
    product = sim_api.data(read, {"id": pid})["product"]
    image_ids = [n["id"] for n in product["images"]["nodes"]]
    assert len(image_ids) == 2 and all(i.startswith("gid://shopify/ProductImage/") for i in image_ids)
    assert {i.rsplit("/", 1)[1] for i in image_ids}.isdisjoint(m.rsplit("/", 1)[1] for m in media_ids)
    assert product["featuredImage"]["id"] == image_ids[0]
    assert sim_api.data(read, {"id": pid})["product"]["images"]["nodes"][1]["id"] == image_ids[1]  # stable
    # The media's own image keeps its ImageSource id (captured for MediaImage.image).
    assert product["media"]["nodes"][0]["image"]["id"] == media_ids[0].replace("MediaImage", "ImageSource")
    body = sim_api.data("""mutation($p: ID!, $ids: [ID!]!) { productDeleteMedia(productId: $p, mediaIds: $ids) {
        deletedMediaIds deletedProductImageIds mediaUserErrors { message } } }""", {"p": pid, "ids": [media_ids[1]]})
    assert body["productDeleteMedia"] == {"deletedMediaIds": [media_ids[1]], "deletedProductImageIds": [image_ids[1]],
                                          "mediaUserErrors": []}


def test_file_saved_searches_page_over_the_shops_saved_searches(sim_api):
    # Captured (files-upload-local-runtime): a store without any answers an empty page.
    sim_api.create_shop()
    read = """query($first: Int, $after: String) { fileSavedSearches(first: $first, after: $after) {
        nodes { id name query } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }"""
    assert sim_api.data(read, {"first": 5})["fileSavedSearches"] == {"nodes": [], "pageInfo": {
        "hasNextPage": False, "hasPreviousPage": False, "startCursor": None, "endCursor": None}}
    sim_api.state.shops[DOMAIN].catalog.file_saved_searches.extend(
        [{"id": 7, "name": "Images", "query": "media_type:IMAGE"},
         {"id": 9, "name": "Videos", "query": "media_type:VIDEO"}])
    page = sim_api.data(read, {"first": 1})["fileSavedSearches"]
    assert page["nodes"] == [{"id": "gid://shopify/SavedSearch/7", "name": "Images", "query": "media_type:IMAGE"}]
    assert page["pageInfo"]["hasNextPage"] is True
    rest = sim_api.data(read, {"first": 5, "after": page["pageInfo"]["endCursor"]})["fileSavedSearches"]
    assert [n["name"] for n in rest["nodes"]] == ["Videos"]


def test_a_video_already_in_shopifys_storage_needs_no_staged_upload(sim_api):
    # Captured (file_create_content_type_inference): a .mp4 on Shopify's video storage, no
    # contentType, became a Video; the same file elsewhere is refused.
    sim_api.create_shop()
    hosted = ("https://shopify-video-production-core-originals.storage.googleapis.com/c/o/v/"
              "7407cdf56b214380adcd711501b2627a.mp4?external_video_id=87291465")
    body = sim_api.data("""mutation($files: [FileCreateInput!]!) { fileCreate(files: $files) {
        files { __typename fileStatus } userErrors { field message code } } }""",
                        {"files": [{"originalSource": hosted}]})
    assert body["fileCreate"] == {"files": [{"__typename": "Video", "fileStatus": "UPLOADED"}], "userErrors": []}
    elsewhere = "https://videos.example.com/clip.mp4"
    body = sim_api.data(FILE_CREATE, {"files": [{"originalSource": elsewhere}]})
    assert body["fileCreate"]["userErrors"] == [{"field": ["files", "0", "originalSource"], "code": "INVALID",
                                                 "message": f"Invalid video url={elsewhere}"}]


def test_a_variant_named_twice_is_one_error_at_its_first_input(sim_api):
    # Captured (product-variant-media-validation): append and detach both answer only
    # PRODUCT_VARIANT_SPECIFIED_MULTIPLE_TIMES at variantMedia.0.variantId.
    sim_api.create_shop(products=[shirt(media=2)])
    sim_api.finish_processing()
    pid = product_gid(sim_api, "red-shirt")
    first, second = gallery_ids(sim_api, pid)
    variant = sim_api.data(GALLERY, {"id": pid})["product"]["variants"]["nodes"][0]["id"]
    pairs = [{"variantId": variant, "mediaIds": [first]}, {"variantId": variant, "mediaIds": [second]}]
    for name, input_type in (("productVariantAppendMedia", "ProductVariantAppendMediaInput"),
                             ("productVariantDetachMedia", "ProductVariantDetachMediaInput")):
        body = sim_api.data(f"""mutation($p: ID!, $m: [{input_type}!]!) {{ {name}(productId: $p,
            variantMedia: $m) {{ productVariants {{ id }} userErrors {{ field message code }} }} }}""",
                            {"p": pid, "m": pairs})
        assert body[name] == {"productVariants": None, "userErrors": [{
            "field": ["variantMedia", "0", "variantId"], "code": "PRODUCT_VARIANT_SPECIFIED_MULTIPLE_TIMES",
            "message": "Variant was specified in more than one media input."}]}, name
