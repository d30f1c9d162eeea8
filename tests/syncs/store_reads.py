"""Reading the simulated store as the app would, for assertions."""
from __future__ import annotations

from typing import Any

from shopify_app.extensions import db

APP: list[Any] = []  # the test's app (set by a fixture)

# A product's gallery (alt text and image URLs) and its productmedia_v1.
GALLERY = """query($id: ID!) { product(id: $id) { media(first: 250) { nodes { id alt
  ... on MediaImage { image { url } } } }
  mf: metafield(namespace: "cloudinary", key: "productmedia_v1") { value } } }"""


def admin(sim: Any, shop: Any, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    """Query the store with the token the app holds now (opening the app
    exchanged the fixture's first token for a new one)."""
    from shopify_app import crypto
    from shopify_app.models import Shop
    with APP[0].app_context():
        token = crypto.decrypt(db.session.query(Shop).filter_by(domain=shop.domain).one().access_token_enc)
    return sim.graphql(shop.domain, token, query, variables)
