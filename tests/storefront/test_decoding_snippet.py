"""snippets/assetlink-cloudinary-url.liquid (the snippet themes copy to turn an
`all_metadata` filename back into a Cloudinary URL) against AssetLink's own
decoder, jobs/planner/naming.py, on the same awkward public IDs; and the URL it
builds against Cloudinary's SDK for the decoded asset."""
from __future__ import annotations

from urllib.parse import unquote, urlsplit

import pytest
from cloudinary.utils import cloudinary_url

from jobs.planner.naming import all_metadata_filename, decode_filename
from storefront_preview import make_environment

SHOP = "northwind.myshopify.com"
AWKWARD_IDS = [
    "front",
    "shirts/red_front",
    "shoes/trail runner/side view",
    "sale/50%off",
    "100% cotton/tee",
    "a%41b",                     # looks percent-encoded; must stay literal
    "über/straße/grün",
    "日本/靴/白",
    "emoji/😀 smile",
    "a__b", "a_", "_a", "__", "x-_p-y", "-_p-",
    "cld/cldcld/upload",
    "upload/upload",
    "v1711111111/looks-like-a-version",
    "a+b=c&d",
    "colon:tilde~star*",
    "dots/a.b.c",
    "trailing/slash/",
]


def render_snippet(filename: str, *, width: int = 800, version: str | None = "1763800000",
                   transformation: str | None = None) -> tuple[str, str]:
    env = make_environment(SHOP)
    image = {"src": f"files/{filename}", "version": version, "width": 1200, "height": 1200, "alt": ""}
    args = ", transformation: transformation" if transformation else ""
    template = env.from_string("{%- render 'assetlink-cloudinary-url', image: image, width: width" + args + " -%}")
    shopify = env.from_string("{{ image | image_url: width: width }}").render(image=image, width=width)
    return template.render(image=image, width=width, transformation=transformation), shopify


def sdk_url(decoded, *, width: int, version: str | None, transformation: str | None = None) -> str:
    """Cloudinary's SDK's URL for the decoded asset. The SDK unquotes a public
    ID before escaping it, so a literal `%` is given to it as `%25`."""
    still = decoded.resource_type == "video" and decoded.extension != "mp4"
    video = decoded.resource_type == "video" and decoded.extension == "mp4"
    size = ({"crop": "limit", "width": width, "quality": "auto", "video_codec": "auto"} if video
            else {"crop": "limit", "width": width, "fetch_format": "auto", "quality": "auto"})
    chain = ([{"start_offset": "auto"}] if still else []) + (
        [{"raw_transformation": transformation}] if transformation else []) + [size]
    url, _ = cloudinary_url(decoded.public_id.replace("%", "%25"), cloud_name=decoded.cloud_name, secure=True,
                            resource_type=decoded.resource_type, type=decoded.delivery_type,
                            version=version, format=decoded.extension, transformation=chain)
    return url


@pytest.mark.parametrize("public_id", AWKWARD_IDS)
@pytest.mark.parametrize("resource_type,extension", [("image", "jpg"), ("image", "png"), ("video", "jpg"),
                                                      ("video", "mp4")])
def test_snippet_decodes_as_naming_does(public_id, resource_type, extension):
    filename = all_metadata_filename("acme-prod", resource_type, "upload", public_id, extension)
    decoded = decode_filename(filename)
    assert decoded is not None and decoded.public_id == public_id  # the encoder round-trips

    url, _ = render_snippet(filename)
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc) == ("https", "res.cloudinary.com")
    cloud, resource, delivery = parts.path.split("/")[1:4]
    assert (cloud, resource, delivery) == (decoded.cloud_name, decoded.resource_type, decoded.delivery_type)
    # The public ID in the URL, unescaped, is the decoder's public ID.
    tail = parts.path.split("/v1763800000/", 1)[1]
    assert unquote(tail.rsplit(".", 1)[0]) == decoded.public_id
    assert tail.rsplit(".", 1)[1] == decoded.extension
    assert url == sdk_url(decoded, width=800, version="1763800000")


@pytest.mark.parametrize("public_id", ["shirts/red_front", "über straße"])
def test_duplicate_suffix_cloud_name_encoding_and_no_version(public_id):
    # Shopify appends _<uuid> to a duplicate filename; it lands in the "cld" part.
    name = all_metadata_filename("acme_2", "image", "upload", public_id, "jpg")
    name = name.replace("__cld.jpg", "__cld_1f0c2a5e-9b7d-4e1a-8c3b-2d6f0e9a7b41.jpg")
    decoded = decode_filename(name)
    assert decoded.public_id == public_id and decoded.cloud_name == "acme_2"
    url, _ = render_snippet(name, version=None, width=400, transformation="e_sharpen")
    # No ?v=: the SDK's force_version puts v1 before a public ID with a folder.
    assert url == sdk_url(decoded, width=400, version=None, transformation="e_sharpen")


@pytest.mark.parametrize("filename", ["front.jpg", "cloudinary-front.jpg", "cloudinary__acme__image.jpg",
                                      "my_cld_photo.jpg"])
def test_other_files_keep_shopify_delivery(filename):
    assert decode_filename(filename) is None or filename == "cloudinary__acme__image.jpg"
    url, shopify = render_snippet(filename)
    assert url == shopify == f"//{SHOP}/cdn/shop/files/{filename}?v=1763800000&width=800"


def test_media_objects_use_their_preview_image():
    env = make_environment(SHOP)
    name = all_metadata_filename("acme", "video", "upload", "clips/spin", "jpg")
    media = {"id": 1, "media_type": "image", "alt": "", "preview_image": {"src": f"files/{name}", "version": "7"}}
    url = env.from_string("{%- render 'assetlink-cloudinary-url', image: media, width: 300 -%}").render(media=media)
    assert url == "https://res.cloudinary.com/acme/video/upload/so_auto/c_limit,f_auto,q_auto,w_300/v7/clips/spin.jpg"
