"""Step 6, metafields: `metafieldsSet` 25 per call (Shopify's input limit):
productmedia_v1 where its content changes, and the swatches, each with the
compareDigest read before planning, so a concurrent edit is reported instead
of overwritten. The call is atomic: when Shopify names bad inputs, they are
taken out and the rest sent again."""
from __future__ import annotations

import json
from typing import Any, Mapping

from jobs.planner.productmedia import KEY, NAMESPACE, SWATCH_KEY, dump_document
from shopify_app.admin_api import GraphQLErrors, queries

from .ordering import MUTATION_COST
from .record import ProductWork, Work

MAX_METAFIELDS_PER_CALL = 25      # metafieldsSet
Input = tuple[ProductWork, dict[str, Any]]


def write_metafields(work: Work) -> None:
    candidates = {id(p): metafield_inputs(p) for p in work.active()}
    products = work.writers(p for p in work.active() if candidates[id(p)])
    inputs = [item for p in products for item in candidates[id(p)]]
    for start in range(0, len(inputs), MAX_METAFIELDS_PER_CALL):
        _set(work, inputs[start:start + MAX_METAFIELDS_PER_CALL])


def metafield_inputs(product: ProductWork) -> list[Input]:
    inputs: list[Input] = []
    value = dump_document(product.document)
    if not same_json(value, product.state.productmedia_value):
        inputs.append((product, {"ownerId": product.product_id, "namespace": NAMESPACE, "key": KEY, "type": "json",
                                 "value": value, "compareDigest": product.state.productmedia_digest}))
    for owner, file_id in product.swatch_files.items():
        inputs.append((product, {"ownerId": owner, "namespace": NAMESPACE, "key": SWATCH_KEY,
                                 "type": "file_reference", "value": file_id,
                                 "compareDigest": product.state.swatch_digests.get(owner)}))
    return inputs


def _set(work: Work, batch: list[Input]) -> None:
    while batch:
        try:
            data = work.client.execute(queries.METAFIELDS_SET, {"metafields": [i for _, i in batch]},
                                       expected_cost=MUTATION_COST, raise_user_errors=False)
        except GraphQLErrors as exc:
            for product, item in batch:
                product.errors.append(f"metafieldsSet {item['key']}: {exc}")
            return
        errors = (data.get("metafieldsSet") or {}).get("userErrors") or []
        if not errors:
            for product, _ in batch:
                product.wrote = True
            return
        bad = _bad_inputs(errors)
        if not bad:
            for product, item in batch:
                product.errors.append(f"metafieldsSet {item['key']}: "
                                      + "; ".join(e.get("message") or "" for e in errors))
            return
        for index, message in bad.items():
            if index < len(batch):
                _refused(*batch[index], message)
        # Atomic: nothing was written. Send the rest again.
        batch = [b for i, b in enumerate(batch) if i not in bad]


def _bad_inputs(errors: list[Mapping[str, Any]]) -> dict[int, str]:
    bad: dict[int, str] = {}
    for error in errors:
        path = error.get("field") or []
        index = error.get("elementIndex")
        if len(path) >= 2 and str(path[1]).isdigit():
            index = int(path[1])
        if index is not None:
            bad[int(index)] = f"{error.get('message')} ({error.get('code')})"
    return bad


def _refused(product: ProductWork, item: dict[str, Any], message: str) -> None:
    if "STALE_OBJECT" in message:
        message = (f"{NAMESPACE}.{item['key']} on {item['ownerId']} changed while this sync "
                   f"ran; it was not overwritten — run the sync again")
    product.errors.append(message)
    if item["key"] == SWATCH_KEY:
        product.swatch_errors[item["ownerId"]] = message


def same_json(value: str, stored: str | None) -> bool:
    """Shopify may store JSON with other spacing or key order; equal content
    needs no write."""
    if stored is None:
        return False
    try:
        return json.loads(value) == json.loads(stored)
    except ValueError:
        return False
