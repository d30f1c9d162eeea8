"""Files: create them in batches, find the ones an interrupted run made, and
wait for Shopify to process them without hammering the API."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping, Sequence

from shopify_app.admin_api import GraphQLErrors, UserErrors, queries
from shopify_app.admin_api.by_ids import read_by_ids
from shopify_app.admin_api.client import AdminApiClient

MAX_FILES_PER_CALL = 250    # fileCreate / fileUpdate input arrays
READY, FAILED, MISSING, TIMED_OUT = "READY", "FAILED", "MISSING", "TIMED_OUT"
# Cost of one fileCreate (Shopify charges 20 however many files it carries,
# plus 0 for the scalar selection) and one fileUpdate.
FILE_CREATE_COST = 20
FILE_UPDATE_COST = 10


@dataclass
class NewFile:
    """One file to create (the executor's Upload carries one)."""

    original_source: str
    filename: str
    content_type: str      # IMAGE or VIDEO
    alt: str
    file_id: str | None = None
    error: str | None = None


@dataclass
class PollOptions:
    # Shopify processes a small image in about a second; a first look sooner
    # costs 1 point and saves the rest of that second when it is done.
    first_wait: float = 0.5
    growth: float = 1.6
    max_interval: float = 15.0
    max_total: float = 900.0       # then the files left are reported as still processing


@dataclass
class PollOutcome:
    status: dict[str, str] = field(default_factory=dict)          # file id -> READY/FAILED/MISSING/TIMED_OUT
    errors: dict[str, str] = field(default_factory=dict)          # file id -> why it failed
    polls: int = 0


def create_files(client: AdminApiClient, files: Sequence[NewFile]) -> None:
    """fileCreate in calls of up to 250. Shopify refuses a whole call for one
    bad input (indexed userErrors): those inputs get their error and the rest
    are sent again. Sets `file_id` or `error` on each."""
    pending = [f for f in files if f.file_id is None and f.error is None]
    for start in range(0, len(pending), MAX_FILES_PER_CALL):
        batch = pending[start:start + MAX_FILES_PER_CALL]
        while batch:
            variables = {"files": [_create_input(f) for f in batch]}
            try:
                data = client.execute(queries.FILE_CREATE, variables, expected_cost=FILE_CREATE_COST,
                                      raise_user_errors=False)
            except GraphQLErrors as exc:
                for f in batch:
                    f.error = f"fileCreate refused the batch: {exc}"
                break
            payload = data.get("fileCreate") or {}
            errors = payload.get("userErrors") or []
            if not errors:
                created = payload.get("files") or []
                for f, node in zip(batch, created):
                    f.file_id = node["id"]
                for f in batch[len(created):]:
                    f.error = "fileCreate returned no file for this input"
                break
            indexed = user_errors_by_index(errors, "files")
            if not indexed:  # nothing to single out: the batch fails
                message = "; ".join(e.get("message") or "" for e in errors)
                for f in batch:
                    f.error = f"fileCreate: {message}"
                break
            for index, message in indexed.items():
                if index < len(batch):
                    batch[index].error = message
            batch = [f for f in batch if f.error is None]


MAX_ALT_LENGTH = 512  # ALT_VALUE_LIMIT_EXCEEDED above this


def _create_input(f: NewFile) -> dict[str, Any]:
    return {"originalSource": f.original_source, "filename": f.filename, "contentType": f.content_type,
            "alt": shopify_alt(f.alt), "duplicateResolutionMode": "APPEND_UUID"}


def shopify_alt(alt: str) -> str:
    """Alt text as Shopify takes it: at most 512 characters, cut at a word
    when one ends near the limit."""
    if len(alt) <= MAX_ALT_LENGTH:
        return alt
    cut = alt[:MAX_ALT_LENGTH]
    space = cut.rfind(" ")
    return (cut[:space] if space > MAX_ALT_LENGTH - 40 else cut).rstrip()


def user_errors_by_index(errors: Iterable[Mapping[str, Any]], root: str) -> dict[int, str]:
    """userErrors whose field is [root, i, ...], by i: what went wrong with the i-th input of a batch."""
    out: dict[int, str] = {}
    for error in errors:
        path = error.get("field") or []
        if len(path) >= 2 and path[0] == root and str(path[1]).isdigit():
            index = int(path[1])
            detail = ".".join(str(p) for p in path[2:])
            text = (f"{detail}: " if detail else "") + str(error.get("message") or "")
            if error.get("code"):
                text += f" ({error['code']})"
            out[index] = out[index] + "; " + text if index in out else text
    return out


def file_statuses(client: AdminApiClient, ids: Sequence[str]) -> dict[str, str]:
    """fileStatus per id (MISSING when Shopify has no such file): 2 + 11
    points per 250 files through the files search (by_ids)."""
    nodes = read_by_ids(client, ids, connection=queries.FILE_STATUSES, root="files",
                        nodes=queries.FILE_STATUSES_BY_IDS)
    return {file_id: (node or {}).get("fileStatus") or MISSING for file_id, node in nodes.items()}


def file_status(client: AdminApiClient, file_id: str) -> str:
    """One file's status (1 point)."""
    node = client.execute(queries.FILE_STATUS, {"id": file_id}, expected_cost=1).get("node")
    return (node or {}).get("fileStatus") or MISSING


def file_errors(client: AdminApiClient, ids: Sequence[str]) -> dict[str, str]:
    nodes = read_by_ids(client, ids, connection=queries.FILE_ERRORS, root="files", nodes=queries.FILE_ERRORS_BY_IDS)
    out: dict[str, str] = {}
    for file_id, node in nodes.items():
        errors = (node or {}).get("fileErrors") or []
        out[file_id] = "; ".join(f"{e.get('code')}: {e.get('message')}" for e in errors) or "processing failed"
    return out


def wait_until_processed(client: AdminApiClient, ids: Iterable[str], *, options: PollOptions,
                         sleep: Callable[[float], None], clock: Callable[[], float],
                         known: Mapping[str, str] | None = None, already_waited: float = 0.0) -> PollOutcome:
    """Poll the files' status until each is READY or FAILED (or gone).

    The first read comes `first_wait` after the files were made (nothing is
    done sooner; `already_waited` is the time since then), later reads back
    off geometrically up to `max_interval`, and after `max_total` the files
    still processing are given up on. Each poll reads one file, the newest
    still pending (1 point; Shopify processes files about in the order they
    came); when it is done, every pending file's status is read (2 + 11
    points per 250), and polling goes on for those still processing. So a
    chunk's wait costs a few points however many files it has.
    """
    outcome = PollOutcome()
    pending = [f for f in dict.fromkeys(ids) if not (known and known.get(f) == READY)]
    outcome.status.update({f: READY for f in dict.fromkeys(ids) if known and known.get(f) == READY})
    started = clock() - max(0.0, already_waited)
    interval = options.first_wait
    due = started + interval
    while pending:
        sleep(max(0.0, min(due - clock(), options.max_total - (clock() - started))))
        out_of_time = clock() - started >= options.max_total
        outcome.polls += 1
        if out_of_time or file_status(client, pending[-1]) in (READY, FAILED, MISSING):
            for file_id, status in file_statuses(client, pending).items():
                if status in (READY, FAILED, MISSING):
                    outcome.status[file_id] = status
            pending = [f for f in pending if f not in outcome.status]
        if out_of_time:
            break
        interval = min(interval * options.growth, options.max_interval)
        due = clock() + interval
    for file_id in pending:
        outcome.status[file_id] = TIMED_OUT
        outcome.errors[file_id] = f"still processing after {options.max_total:.0f} s"
    failed = [f for f, s in outcome.status.items() if s == FAILED]
    if failed:
        outcome.errors.update(file_errors(client, failed))
    for file_id, status in outcome.status.items():
        if status == MISSING:
            outcome.errors[file_id] = "the file no longer exists"
    return outcome


_SAFE = re.compile(r"[A-Za-z0-9._-]+")


def find_unattached(client: AdminApiClient, filename: str, source_url: str, *,
                    created_after: str | None = None) -> list[str]:
    """Ids of files no product uses that an interrupted fileCreate of
    (`filename`, `source_url`) may have left: searched by name prefix
    (special characters cut off), then checked here: a video by its name
    (`filename` or Shopify's APPEND_UUID `stem_<uuid>.ext`), an image by its
    original source (MediaImage has no filename field)."""
    stem, dot, ext = filename.rpartition(".")
    if not dot:
        stem, ext = filename, ""
    safe = _SAFE.match(stem)
    terms = ["used_in:none"]
    if safe:
        terms.insert(0, f"filename:{safe.group(0)}*")
    if created_after:
        terms.append(f"created_at:>='{created_after}'")
    data = client.execute(queries.FILES_BY_QUERY, {"query": " ".join(terms), "first": 250})
    pattern = re.compile(re.escape(stem) + r"(_[0-9a-fA-F-]{8,})?" + (re.escape("." + ext) if ext else "") + "$",
                         re.IGNORECASE)
    out = []
    for node in (data.get("files") or {}).get("nodes") or []:
        name = node.get("filename")
        source = (node.get("originalSource") or {}).get("url")
        if (name and pattern.match(name)) or (source and source == source_url):
            out.append(node["id"])
    return out


__all__ = ["NewFile", "PollOptions", "PollOutcome", "create_files", "file_statuses", "wait_until_processed",
           "find_unattached", "UserErrors"]
