"""Step 3c, naming: the file name of each merchant media this chunk takes off
that has no alt text, so its report row says which of the merchant's media
left ("Your media “shirt-front.jpg”") rather than a bare id. One batched read,
and only when there is such media: the product state read leaves file names
out because an image's name costs an object field on every media of every
product, and most syncs remove no merchant media at all."""
from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any, Mapping
from urllib.parse import unquote, urlsplit

from shopify_app.admin_api import queries
from shopify_app.admin_api.by_ids import read_by_ids

from .record import Work


def name_merchant_media(work: Work) -> None:
    unnamed = {product.product_id: [a.media_id for a in product.plan.actions
                                    if a.action == "removed" and a.public_id is None and a.media_id
                                    and not _alt(product.state, a.media_id)]
               for product in work.active()}
    ids = [m for media in unnamed.values() for m in media]
    if not ids:
        return
    nodes = read_by_ids(work.client, ids, connection=queries.FILE_NAMES, root="files",
                        nodes=queries.FILE_NAMES_BY_IDS)
    for product in work.active():
        for media_id in unnamed[product.product_id]:
            name = file_name(nodes.get(media_id))
            if name:
                product.media_names[media_id] = name


def file_name(node: Mapping[str, Any] | None) -> str | None:
    """The name a merchant knows a file by, from a FileName node (pure): a
    video's or 3D model's filename; an image's is the last part of its CDN
    URL's path; an external video's is its URL."""
    if not node:
        return None
    if node.get("filename"):
        return str(node["filename"])
    if node.get("originUrl"):
        return str(node["originUrl"])
    url = (node.get("image") or {}).get("url")
    if not url:
        return None
    return unquote(PurePosixPath(urlsplit(url).path).name) or None


def _alt(state: Any, media_id: str) -> str:
    info = state.media_info(media_id)
    return info.alt if info is not None else ""
