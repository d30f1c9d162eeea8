"""Smaller promises: aliased documents are valid, many variants, long alt
text, polling that waits instead of hammering."""
from __future__ import annotations

import pytest
from graphql import parse, validate

from jobs.executor import PollOptions
from jobs.executor.aliases import aliased_document, aliased_variables
from jobs.executor.files import shopify_alt, wait_until_processed
from shopify_app.admin_api import queries
from shopify_sim.schema import admin_schema
from tests.executor.support import gallery, image, product, product_id_of, writes


@pytest.mark.parametrize("template", ["PRODUCT_REORDER_MEDIA", "JOB_STATUS", "PRODUCT_VARIANT_APPEND_MEDIA",
                                      "PRODUCT_VARIANT_DETACH_MEDIA"])
def test_aliased_documents_validate(template):
    document = aliased_document(getattr(queries, template), 3)
    assert validate(admin_schema(), parse(document)) == []
    assert document.count("a2: ") == 1
    assert aliased_variables([{"id": "x"}, {"id": "y"}]) == {"id_0": "x", "id_1": "y"}


def test_variant_images_beyond_the_first_hundred_variants(sim, linker):
    skus = [f"V-{n:03d}" for n in range(120)]
    link = linker([product("Big", skus)])
    big = product_id_of(sim, "Big")
    body = {"link_mode": "append", "variant_images": True,
            "assets": [image("big/v110", "V-110"), image("big/v5", "V-005")]}
    results = link.link(body)
    assert results[big].status == "succeeded", results[big].error
    variants = {v["sku"]: v["media"] for v in sim.product(big)["variants"]}
    media = {m["filename"]: m["id"] for m in gallery(sim, big)}
    assert variants["V-110"] == media["v110.jpg"] and variants["V-005"] == media["v5.jpg"]
    sim.clear_requests()
    link.link(body)
    assert writes(sim.requests()) == []


def test_alt_text_over_shopifys_limit_is_cut_not_refused(sim, linker):
    link = linker([product("Shoe", ["ABC-1"])])
    shoe = product_id_of(sim, "Shoe")
    long_alt = "a red leather shoe " * 40
    results = link.link({"link_mode": "append", "assets": [image("shoes/abc_1", "ABC-1", alt=long_alt)]})
    assert results[shoe].status == "succeeded", results[shoe].error
    alt = gallery(sim, shoe)[0]["alt"]
    assert len(alt) <= 512 and long_alt.startswith(alt)
    assert shopify_alt("short") == "short"


class FakeClient:
    """Answers status reads from a script, counting them: each one-file poll
    takes the next status; the reads of every file's status (the files
    search) see the last one."""

    def __init__(self, answers):
        self.answers = list(answers)
        self.status = "PROCESSING"
        self.calls = 0

    def execute(self, document, variables=None, **kwargs):
        self.calls += 1
        if "FileStatus(" in document:
            self.status = self.answers.pop(0) if self.answers else "PROCESSING"
            return {"node": {"id": variables["id"], "fileStatus": self.status}}
        ids = [term.split(':')[1] for term in variables["query"].split(" OR ")]
        errors = [{"code": "IMAGE_DOWNLOAD_FAILURE", "message": "Image could not be downloaded.", "details": None}]
        return {"files": {"nodes": [{"id": i, "fileStatus": self.status, "fileErrors": errors} for i in ids],
                          "pageInfo": {"hasNextPage": False}}}


def test_polling_backs_off_and_gives_up_in_time():
    sleeps = []
    now = [0.0]

    def sleep(seconds):
        sleeps.append(seconds)
        now[0] += seconds

    client = FakeClient([])
    outcome = wait_until_processed(client, ["f1", "f2"], options=PollOptions(first_wait=1, growth=2, max_interval=8,
                                                                              max_total=40),
                                   sleep=sleep, clock=lambda: now[0])
    assert sleeps[:5] == [1, 2, 4, 8, 8]
    # One one-file poll per wait, and the last read is every file's status.
    assert now[0] <= 40 + 1e-9 and client.calls == len(sleeps) <= 8
    assert outcome.status == {"f1": "TIMED_OUT", "f2": "TIMED_OUT"}

    # The first poll comes `first_wait` after the files were made, not after now.
    sleeps.clear()
    client = FakeClient(["READY"])
    outcome = wait_until_processed(client, ["f1", "f2"], options=PollOptions(first_wait=1), sleep=sleep,
                                   clock=lambda: now[0], already_waited=0.75)
    assert sleeps == [0.25] and client.calls == 2 and outcome.status == {"f1": "READY", "f2": "READY"}

    client = FakeClient(["UPLOADED", "FAILED"])
    outcome = wait_until_processed(client, ["f1"], options=PollOptions(first_wait=1), sleep=sleep,
                                   clock=lambda: now[0])
    assert outcome.status == {"f1": "FAILED"} and "IMAGE_DOWNLOAD_FAILURE" in outcome.errors["f1"]
