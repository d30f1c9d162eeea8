"""Cloudinary's Admin and Search APIs as automation needs them, through the
`cloudinary` SDK, the one way the app reaches Cloudinary.

Every call passes its options per call: the tenant's cloud name, API key and
secret, and `upload_prefix` = the app's CLOUDINARY_API_ORIGIN (the only
switch to the local Cloudinary). The SDK's process-global configuration is
never touched, so one process serves many Cloudinary environments.

Errors become two kinds: `CredentialsRefused` (Cloudinary said no to the key
or secret) and `CloudinaryUnavailable` (anything else: unreachable, rate
limited, a server error), which callers treat as "try again later".
"""
from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterable, Iterator, Mapping

import cloudinary.api
import cloudinary.exceptions
import cloudinary.search
import cloudinary.utils

MAX_BY_ASSET_IDS = 100     # Admin API resources_by_asset_ids: at most 100 ids per call
SEARCH_PAGE = 500          # Search API max_results
VALUES_PER_SEARCH = 40     # group values OR-ed into one search expression
NOTIFICATION_MAX_AGE = 7200  # seconds; the SDK's valid_for default and the contract's "2 hours"
FUTURE_SKEW = 300            # seconds a timestamp may lie ahead of our clock


class CloudinaryError(Exception):
    pass


class CredentialsRefused(CloudinaryError):
    """Cloudinary refused the API key, secret or cloud name."""


class CloudinaryUnavailable(CloudinaryError):
    """Cloudinary could not answer now (network, rate limit, server error)."""


@dataclass(frozen=True)
class Environment:
    cloud_name: str
    api_key: str
    api_secret: str
    api_origin: str

    def options(self) -> dict[str, Any]:
        return {"cloud_name": self.cloud_name, "api_key": self.api_key, "api_secret": self.api_secret,
                "upload_prefix": self.api_origin}

    def __repr__(self) -> str:  # never the secret, in logs or tracebacks
        return f"Environment(cloud_name={self.cloud_name!r}, api_key={self.api_key!r})"


def _call(fn: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return fn(*args, **kwargs)
    except (cloudinary.exceptions.AuthorizationRequired, cloudinary.exceptions.NotAllowed) as exc:
        raise CredentialsRefused(str(exc)) from None
    except (cloudinary.exceptions.NotFound, cloudinary.exceptions.AlreadyExists):
        raise
    except cloudinary.exceptions.Error as exc:
        raise CloudinaryUnavailable(str(exc)) from None
    except Exception as exc:  # urllib3 errors: connection refused, timeouts
        raise CloudinaryUnavailable(f"{type(exc).__name__}: {exc}") from None


def verify_credentials(env: Environment) -> None:
    """Raise CredentialsRefused unless Cloudinary accepts these credentials
    (an authenticated Admin API call: ping)."""
    try:
        _call(cloudinary.api.ping, **env.options())
    except cloudinary.exceptions.NotFound:  # an unknown cloud name
        raise CredentialsRefused("unknown cloud name") from None


def resources_by_asset_ids(env: Environment, asset_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """asset_id -> the asset as Cloudinary has it now (metadata, tags,
    context); assets that no longer exist are absent."""
    ids = list(dict.fromkeys(a for a in asset_ids if a))
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(ids), MAX_BY_ASSET_IDS):
        answer = _call(cloudinary.api.resources_by_asset_ids, ids[start:start + MAX_BY_ASSET_IDS], metadata=True,
                       tags=True, context=True, max_results=MAX_BY_ASSET_IDS, **env.options())
        for resource in answer.get("resources", []):
            found[resource["asset_id"]] = dict(resource)
    return found


def resource(env: Environment, public_id: str, resource_type: str = "image", type: str = "upload"
             ) -> dict[str, Any] | None:
    """One asset by public ID (metadata included), or None when it doesn't exist."""
    try:
        return dict(_call(cloudinary.api.resource, public_id, resource_type=resource_type, type=type,
                          **env.options()))
    except cloudinary.exceptions.NotFound:
        return None


def quote(value: str) -> str:
    """A value as a quoted Search API term (exact match with `=`)."""
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def field_term(cloudinary_field: str) -> str:
    """The Search API field a rule's `cloudinary_field` names."""
    return "tags" if cloudinary_field == "tags" else f"metadata.{cloudinary_field}"


def search(env: Environment, expression: str) -> Iterator[dict[str, Any]]:
    """Every asset the expression finds (all pages), oldest first, with metadata, tags and context."""
    cursor: str | None = None
    while True:
        query = (cloudinary.search.Search().expression(expression).with_field("metadata").with_field("tags")
                 .with_field("context").sort_by("created_at", "asc").max_results(SEARCH_PAGE))
        if cursor:
            query = query.next_cursor(cursor)
        answer = _call(query.execute, **env.options())
        yield from (dict(r) for r in answer.get("resources", []))
        cursor = answer.get("next_cursor")
        if not cursor:
            return


def search_groups(env: Environment, cloudinary_field: str, values: Iterable[str]) -> Iterator[dict[str, Any]]:
    """Every asset whose `cloudinary_field` holds one of `values` (exactly).

    Search returns `metadata` only on plans with Tier 2 search (Cloudinary's
    schema says `with_field: metadata` needs it): results without it get it
    from the Admin API (resources_by_asset_ids, 100 per call)."""
    wanted = sorted({str(v) for v in values if str(v).strip()})
    term = field_term(cloudinary_field)
    for start in range(0, len(wanted), VALUES_PER_SEARCH):
        chunk = wanted[start:start + VALUES_PER_SEARCH]
        found = list(search(env, "(" + " OR ".join(f"{term}={quote(v)}" for v in chunk) + ")"))
        bare = [str(r["asset_id"]) for r in found if "metadata" not in r and r.get("asset_id")]
        full = resources_by_asset_ids(env, bare) if bare and cloudinary_field != "tags" else {}
        yield from (full.get(str(r.get("asset_id")), r) for r in found)


def existing_public_ids(env: Environment, public_ids: Iterable[str]) -> set[str]:
    """Which of these public IDs Cloudinary still has (any resource type)."""
    wanted = sorted(set(public_ids))
    found: set[str] = set()
    for start in range(0, len(wanted), VALUES_PER_SEARCH):
        chunk = wanted[start:start + VALUES_PER_SEARCH]
        expression = "(" + " OR ".join(f"public_id={quote(p)}" for p in chunk) + ")"
        found |= {str(r.get("public_id")) for r in search(env, expression)}
    return found


def search_changed_since(env: Environment, since: datetime) -> Iterator[dict[str, Any]]:
    """Assets uploaded or updated since `since` (the daily reconciliation)."""
    stamp = quote(since.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))
    yield from search(env, f"uploaded_at>={stamp} OR last_updated.updated_at>={stamp}")


# -- triggers (Admin API; https://cloudinary.com/documentation/admin_api#triggers) -----------------------

# The notification types automation acts on (jobs.automation.events.HANDLED).
TRIGGER_EVENTS = ("upload", "delete", "rename", "move", "resource_metadata_changed", "resource_tags_changed",
                  "resource_context_changed", "resource_display_name_changed", "restore_asset_version")


def register_triggers(env: Environment, uri: str) -> list[str]:
    """Admin API triggers sending every handled notification type to `uri`
    (those already there are kept). Returns the event types that point there."""
    existing = {t.get("event_type") for t in _call(cloudinary.api.triggers, **env.options()).get("triggers", [])
                if t.get("uri") == uri}
    for event_type in TRIGGER_EVENTS:
        if event_type not in existing:
            try:
                _call(cloudinary.api.create_trigger, uri, event_type, **env.options())
            except cloudinary.exceptions.AlreadyExists:
                pass
    return list(TRIGGER_EVENTS)


def remove_triggers(env: Environment, uri: str) -> int:
    """Delete the triggers pointing at `uri`. Returns how many."""
    removed = 0
    for trigger in _call(cloudinary.api.triggers, **env.options()).get("triggers", []):
        if trigger.get("uri") == uri:
            try:
                _call(cloudinary.api.delete_trigger, trigger["id"], **env.options())
                removed += 1
            except cloudinary.exceptions.NotFound:
                pass
    return removed


# -- notification signatures --------------------------------------------------------------------------

ALGORITHMS = {40: cloudinary.utils.SIGNATURE_SHA1, 64: cloudinary.utils.SIGNATURE_SHA256}


def notification_signature_problem(body: bytes, timestamp: str | None, signature: str | None, api_secret: str,
                                   *, now: float | None = None) -> str | None:
    """Why a notification's X-Cld-Timestamp / X-Cld-Signature don't prove it
    came from Cloudinary, or None when they do.

    Cloudinary signs hex SHA-1 or SHA-256 of body + timestamp + api_secret
    (https://cloudinary.com/documentation/notification_signatures). The
    hash is the SDK's own (`cloudinary.utils.compute_hex_hash`); its
    `verify_notification_signature` is not used as is because it reads the
    secret from the process-global configuration (one process serves many
    environments) and compares with `==`. The comparison here is
    constant-time, the algorithm is told by the signature's length, and a
    timestamp is refused when older than two hours or far in the future."""
    if not timestamp or not signature:
        return "X-Cld-Timestamp and X-Cld-Signature are required"
    if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
        return "X-Cld-Timestamp is not a unix time"
    now = time.time() if now is None else now
    age = now - int(timestamp)
    if age > NOTIFICATION_MAX_AGE:
        return "the notification is older than two hours"
    if age < -FUTURE_SKEW:
        return "X-Cld-Timestamp lies in the future"
    algorithm = ALGORITHMS.get(len(signature))
    if algorithm is None:
        return "X-Cld-Signature is not a hex SHA-1 or SHA-256"
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return "the body is not UTF-8"
    expected = cloudinary.utils.compute_hex_hash(f"{text}{timestamp}{api_secret}", algorithm)
    if not hmac.compare_digest(expected.encode(), signature.strip().lower().encode("ascii", "replace")):
        return "the signature does not match"
    return None


def body_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def as_mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}
