"""Naming the merchant media a sync takes off (jobs.executor.naming): by file
name when it has no alt text, read only when such media is taken off."""
from __future__ import annotations

from typing import Any

import pytest

from jobs.executor.journal import MemoryJournal
from jobs.executor.naming import file_name, name_merchant_media
from jobs.executor.record import ExecutorOptions, ProductWork, Work
from jobs.executor.state import MediaInfo, ReadState
from jobs.planner.plan import Action, ProductPlan

PRODUCT = "gid://shopify/Product/1"


@pytest.mark.parametrize("node,name", [
    ({"id": "i", "image": {"url": "https://cdn.shopify.com/s/files/1/0001/files/tote%20back.jpg?v=17"}},
     "tote back.jpg"),
    ({"id": "v", "filename": "runway.mp4"}, "runway.mp4"),
    ({"id": "m", "filename": "chair.glb"}, "chair.glb"),
    ({"id": "e", "originUrl": "https://www.youtube.com/watch?v=abc"}, "https://www.youtube.com/watch?v=abc"),
    ({"id": "i", "image": None}, None),      # an image still processing has no URL yet
    (None, None),                            # gone meanwhile
])
def test_the_name_a_merchant_knows_a_file_by(node, name):
    assert file_name(node) == name


class RecordingClient:
    def __init__(self, nodes: dict[str, Any]) -> None:
        self.nodes, self.calls = nodes, []

    def execute(self, query: str, variables: dict[str, Any], **_: Any) -> dict[str, Any]:
        self.calls.append(variables)
        if "ids" in variables:
            return {"nodes": [self.nodes.get(i) for i in variables["ids"]]}
        return {"files": {"nodes": list(self.nodes.values()), "pageInfo": {"hasNextPage": False}}}


def work_removing(client: Any, media: list[MediaInfo], actions: list[Action]) -> Work:
    state = ReadState(PRODUCT, gallery=tuple(m.id for m in media), media=tuple(media))
    plan = ProductPlan(PRODUCT, "Tote", "planned", None, (), tuple(actions), (), False)
    work = Work(client, MemoryJournal(), ExecutorOptions(), None, None)  # type: ignore[arg-type]
    work.products.append(ProductWork(plan, state))
    return work


def test_media_without_alt_text_is_named_by_one_read():
    client = RecordingClient({"gid://shopify/MediaImage/2": {
        "id": "gid://shopify/MediaImage/2", "image": {"url": "https://cdn.shopify.com/files/tote-back.jpg?v=1"}}})
    work = work_removing(client, [MediaInfo("gid://shopify/MediaImage/1", "Tote, front", "READY", "IMAGE"),
                                  MediaInfo("gid://shopify/MediaImage/2", "", "READY", "IMAGE")],
                         [Action("removed", None, media_id="gid://shopify/MediaImage/1"),
                          Action("removed", None, media_id="gid://shopify/MediaImage/2"),
                          Action("removed", "bags/x", media_id="gid://shopify/MediaImage/3")])  # AssetLink's
    name_merchant_media(work)
    assert work.products[0].media_names == {"gid://shopify/MediaImage/2": "tote-back.jpg"}
    assert len(client.calls) == 1


def test_no_read_when_no_unnamed_merchant_media_leaves():
    client = RecordingClient({})
    work = work_removing(client, [MediaInfo("gid://shopify/MediaImage/1", "Tote, front", "READY", "IMAGE")],
                         [Action("removed", None, media_id="gid://shopify/MediaImage/1"),
                          Action("created", "bags/y")])
    name_merchant_media(work)
    assert client.calls == [] and work.products[0].media_names == {}
