"""Every mutation the app sends (shopify_app/admin_api/queries.py, plus the
product media mutations the simulator serves) answers bad input with userErrors
whose `code` is a value of the enum its payload's error type declares and whose
`field` is a path into the input it was given — one rule, read from the 2026-10
schema (shopify_sim/user_errors.py), checked over a battery of refusals."""
from __future__ import annotations

from typing import Any

import pytest

from shopify_sim import schema as schema_mod
from shopify_sim import user_errors

from .graphql_support import FILE_CREATE, create_ready_image, make_sim, product_gid, shirt


def document(mutation: str) -> str:
    """`mutation(<its arguments as variables>) { m(...) { <error lists> { field message [code] } } }`."""
    definition = schema_mod.admin_schema().mutation_type.fields[mutation]
    declared = ", ".join(f"${name}: {arg.type}" for name, arg in definition.args.items())
    passed = ", ".join(f"{name}: ${name}" for name in definition.args)
    payload = definition.type.fields if hasattr(definition.type, "fields") else definition.type.of_type.fields
    lists = []
    for list_name in user_errors.ERROR_LISTS:
        if list_name in payload:
            error_type = payload[list_name].type
            while hasattr(error_type, "of_type"):
                error_type = error_type.of_type
            code = " code" if "code" in error_type.fields else ""
            lists.append(f"{list_name} {{ field message{code} }}")
    return f"mutation Refused({declared}) {{ {mutation}({passed}) {{ {' '.join(lists)} }} }}"


@pytest.fixture(scope="module")
def store() -> dict[str, Any]:
    sim = make_sim()
    sim.create_shop(products=[shirt("Red Shirt", skus=("RS-1", "RS-2"), media=1), shirt("Blue Shirt", media=0)])
    red, blue = product_gid(sim, "red-shirt"), product_gid(sim, "blue-shirt")
    ready = create_ready_image(sim, "https://img.example.com/ready.png")
    red_media = sim.data("query($id: ID!) { product(id: $id) { media(first: 5) { nodes { id } } "
                         "variants(first: 5) { nodes { id } } } }", {"id": red})["product"]
    pending = sim.data(FILE_CREATE, {"files": [{"originalSource": "https://img.example.com/pending.png"}]})
    return {"sim": sim, "red": red, "blue": blue, "ready": ready, "pending": pending["fileCreate"]["files"][0]["id"],
            "red_media": red_media["media"]["nodes"][0]["id"],
            "red_variants": [v["id"] for v in red_media["variants"]["nodes"]]}


def cases(s: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    img = "https://img.example.com/x.png"
    return [
        ("fileCreate", {"files": [{"originalSource": img, "alt": "a" * 513}]}),
        ("fileCreate", {"files": [{"originalSource": "data:image/png;base64,AA=="}]}),
        ("fileCreate", {"files": [{"originalSource": img, "filename": "x.jpg"}]}),
        ("fileCreate", {"files": [{"originalSource": img, "filename": "x.png", "duplicateResolutionMode": "REPLACE"}]}),
        ("fileCreate", {"files": [{"originalSource": img, "contentType": "IMAGE",
                                   "duplicateResolutionMode": "REPLACE"}]}),
        ("fileCreate", {"files": [{"originalSource": "https://img.example.com/ready.png",
                                   "duplicateResolutionMode": "RAISE_ERROR"}]}),
        ("fileCreate", {"files": [{"originalSource": "https://img.example.com/v.mp4", "contentType": "VIDEO"}]}),
        ("fileUpdate", {"files": [{"id": "gid://shopify/MediaImage/1"}]}),
        ("fileUpdate", {"files": [{"id": s["pending"], "alt": "x"}]}),
        ("fileUpdate", {"files": [{"id": s["ready"], "filename": "ready.jpg"}]}),
        ("fileUpdate", {"files": [{"id": s["ready"], "alt": "a" * 513}]}),
        ("fileUpdate", {"files": [{"id": s["ready"], "referencesToAdd": ["gid://shopify/Product/1"]}]}),
        ("fileUpdate", {"files": [{"id": s["ready"], "originalSource": img, "previewImageSource": img}]}),
        ("fileUpdate", {"files": [{"id": s["ready"], "originalSource": "not a url"}]}),
        ("fileDelete", {"fileIds": ["gid://shopify/MediaImage/1"]}),
        ("stagedUploadsCreate", {"input": [{"resource": "VIDEO", "filename": "v.mp4", "mimeType": "video/mp4"}]}),
        ("stagedUploadsCreate", {"input": [{"resource": "IMAGE", "filename": "x.txt", "mimeType": "text/plain"}]}),
        ("metafieldsSet", {"metafields": [{"ownerId": s["red"], "namespace": "cloudinary", "key": f"k{n}",
                                           "type": "json", "value": "[]"} for n in range(26)]}),
        ("metafieldsSet", {"metafields": [{"ownerId": s["red"], "namespace": "cloudinary", "key": "nokind",
                                           "value": "x"}]}),
        ("metafieldsSet", {"metafields": [{"ownerId": "gid://shopify/Product/1", "namespace": "cloudinary",
                                           "key": "doc", "type": "json", "value": "[]"}]}),
        ("metafieldsSet", {"metafields": [{"ownerId": s["red"], "namespace": "cloudinary", "key": "doc",
                                           "type": "json", "value": "{not json"}]}),
        ("metafieldsSet", {"metafields": [{"ownerId": s["red"], "namespace": "ab", "key": "k",
                                           "type": "json", "value": "[]"}]}),
        ("metafieldsSet", {"metafields": [{"ownerId": s["red"], "namespace": "cloudinary", "key": "swatch",
                                           "type": "file_reference", "value": "gid://shopify/MediaImage/1"}]}),
        ("metafieldsDelete", {"metafields": [{"ownerId": s["red"], "namespace": "app--999999999999", "key": "k"}]}),
        ("metafieldDefinitionCreate", {"definition": {"name": "Doc", "namespace": "cloudinary", "key": "k" * 65,
                                                      "type": "json", "ownerType": "PRODUCT"}}),
        ("metafieldDefinitionCreate", {"definition": {"name": "Doc", "namespace": "cloudinary", "key": "doc",
                                                      "type": "no_such_type", "ownerType": "PRODUCT"}}),
        ("productReorderMedia", {"id": "gid://shopify/Product/1", "moves": [{"id": s["red_media"],
                                                                           "newPosition": "0"}]}),
        ("productVariantAppendMedia", {"productId": "gid://shopify/Product/1", "variantMedia": []}),
        ("productVariantAppendMedia", {"productId": s["blue"], "variantMedia": [
            {"variantId": s["red_variants"][0], "mediaIds": [s["red_media"]]}]}),
        ("productVariantAppendMedia", {"productId": s["red"], "variantMedia": [
            {"variantId": s["red_variants"][0], "mediaIds": [s["ready"]]}]}),
        ("productVariantAppendMedia", {"productId": s["red"], "variantMedia": [
            {"variantId": s["red_variants"][0], "mediaIds": [s["red_media"], s["red_media"]]}]}),
        ("productVariantAppendMedia", {"productId": s["red"], "variantMedia": [
            {"variantId": s["red_variants"][0], "mediaIds": [s["red_media"]]},
            {"variantId": s["red_variants"][0], "mediaIds": [s["red_media"]]}]}),
        ("productVariantDetachMedia", {"productId": s["red"], "variantMedia": [
            {"variantId": s["red_variants"][1], "mediaIds": [s["red_media"]]}]}),
        ("productUpdate", {"product": {"id": s["red"]}, "media": [{"originalSource": "nope",
                                                                  "mediaContentType": "IMAGE"}]}),
        ("productUpdate", {"product": {"id": "gid://shopify/Product/1", "title": "x"}}),
        ("productCreateMedia", {"productId": s["red"], "media": [{"originalSource": "nope",
                                                                  "mediaContentType": "IMAGE"}]}),
        ("productCreate", {"product": {"title": ""}}),
    ]


def test_every_refusal_names_a_schema_code_and_a_path_into_the_input(store):
    sim = store["sim"]
    seen: dict[str, set[str]] = {}
    failures = []
    for mutation, arguments in cases(store):
        body = sim.gql(document(mutation), arguments)
        assert "errors" not in body, (mutation, body["errors"])
        payload = body["data"][mutation]
        errors = [e for name in user_errors.ERROR_LISTS for e in (payload.get(name) or [])]
        assert errors, f"{mutation} accepted {arguments}"
        seen.setdefault(mutation, set()).update(e.get("code") or "-" for e in errors)
        failures.extend(user_errors.problems(mutation, arguments, payload))
    assert failures == []
    # The battery reached every mutation the app sends.
    assert {"fileCreate", "fileUpdate", "stagedUploadsCreate", "metafieldsSet", "metafieldsDelete",
            "metafieldDefinitionCreate", "productReorderMedia", "productVariantAppendMedia",
            "productVariantDetachMedia"} <= set(seen)


def test_the_rule_itself_refuses_unknown_codes_and_paths():
    bad = {"userErrors": [{"field": ["files", "0", "nonsense"], "message": "x", "code": "NOT_A_CODE"},
                          {"field": ["files", "3"], "message": "y", "code": "INVALID"}]}
    found = user_errors.problems("fileCreate", {"files": [{"originalSource": "x"}]}, bad)
    assert found == ["fileCreate.userErrors: code 'NOT_A_CODE' is not a FilesErrorCode value",
                     "fileCreate.userErrors: field ['files', '0', 'nonsense'] names nothing in the mutation's input",
                     "fileCreate.userErrors: field ['files', '3'] names nothing in the mutation's input"]
    # productUpdate's errors may be relative to its one input object (["id"]), as Shopify answers.
    assert user_errors.problems("productUpdate", {"product": {"id": "gid://shopify/Product/1"}},
                                {"userErrors": [{"field": ["id"], "message": "Product does not exist"}]}) == []
