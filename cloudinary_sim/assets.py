"""What the Upload and Admin APIs do to assets: upload (new asset or new
version), explicit, rename, destroy, delete, update, and the tags, context and
structured-metadata commands — each also queueing the notification Cloudinary
sends for it.

Behaviour per the Upload API reference
(https://cloudinary.com/documentation/image_upload_api_reference) and the
Admin API reference (https://cloudinary.com/documentation/admin_api):
- upload: `public_id` as given, else from the file name with `use_filename`
  (plus a random suffix unless `unique_filename=false`), else random; `folder`
  (deprecated in dynamic-folder mode) sets the asset folder and prefixes the
  public id; `asset_folder` sets only the folder. Signed uploads overwrite by
  default (`overwrite`: "Default: true when using signed upload"); an
  overwrite keeps the asset_id and gets a new `version` (the upload time in
  seconds, always increasing) and `version_id`; with `overwrite=false` an
  existing public id answers the existing asset with `existing: true`. Tags
  given replace the asset's tags, context given replaces its context,
  metadata given sets those fields. Public ids can't begin or end with `/` or
  a space nor contain `? & # \\ % < > +`, and are at most 255 characters
  (https://cloudinary.com/documentation/upload_parameters#public_id).
- explicit: applies tags/context/metadata/eager to an existing asset
  (404 "Resource not found - <id>" otherwise), no new version.
- rename: 404 for a missing source; an existing target needs `overwrite`.
- destroy: `{"result": "ok"}` or `{"result": "not found"}`.
- tags (`add`, `remove`, `replace`, `remove_all`, `set_exclusive`), context
  (`add`, `remove_all`; an empty value removes the key) and metadata commands
  answer the public ids they applied to.
- Admin `update`: tags given replace the tags, context given replaces the
  context, metadata given sets those fields, display_name/asset_folder move.
- Admin `delete_resources`: up to 100 public ids (or a prefix, or all), answers
  `deleted` with "deleted"/"not_found" per id.
"""
from __future__ import annotations

import base64
import hashlib
import re
import secrets
import string
from typing import Any, Optional

import requests

from . import metadata as smd
from . import notifications, resources
from .errors import CloudinaryError, DeliveryError, bad_request, not_found
from .media import Probe, probe, stand_in_color
from .params import FileParam, as_bool, as_list, parse_pipe_map, split_tags
from .state import Asset, Environment, SimState, new_id
from .transformations import parse as parse_transformation

RESOURCE_TYPES = ("image", "video", "raw")
UPLOAD_TYPES = ("upload", "private", "authenticated")
PUBLIC_ID_FORBIDDEN = set("?&#\\%<>+")
MAX_PUBLIC_ID = 255
MAX_IDS_PER_CALL = 100
MAX_TAG_COMMAND_IDS = 1000
REMOTE_TIMEOUT = 10.0


# -- helpers --------------------------------------------------------------------------------------

def _random_id(length: int = 20) -> str:
    alphabet = string.ascii_lowercase + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(length))


def check_public_id(public_id: str) -> str:
    if (not public_id or public_id != public_id.strip() or public_id.startswith("/") or public_id.endswith("/")
            or len(public_id) > MAX_PUBLIC_ID or PUBLIC_ID_FORBIDDEN & set(public_id)):
        raise bad_request(f"Invalid public_id {public_id}")
    return public_id


def check_type(value: Any) -> str:
    kind = str(value or "upload")
    if kind not in UPLOAD_TYPES:
        raise bad_request(f"Invalid type - {kind}")
    return kind


def read_file(upload: FileParam) -> tuple[str, bytes]:
    """(original filename, bytes) of the `file` parameter: bytes, a data URI or
    a remote http(s) URL ("The file to upload. Can be the actual data (byte
    array buffer), the Data URI (Base64 encoded), a remote FTP, HTTP or HTTPS
    URL address of an existing file")."""
    if upload is None or upload == "":
        raise bad_request("Missing required parameter - file")
    if isinstance(upload, tuple):
        return upload
    text = upload.strip()
    match = re.match(r"^data:([\w/+.-]*)(;[\w-]+=[\w.-]+)*;base64,(.*)$", text, re.S)
    if match:
        try:
            return "file", base64.b64decode(match.group(3), validate=False)
        except ValueError:
            raise bad_request("Invalid data URI") from None
    if re.match(r"^https?://", text):
        try:
            response = requests.get(text, timeout=REMOTE_TIMEOUT)
        except requests.RequestException as exc:
            raise bad_request(f"Error in loading {text} - {type(exc).__name__}") from None
        if response.status_code != 200:
            raise bad_request(f"Error in loading {text} - {response.status_code} {response.reason}")
        name = text.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1] or "file"
        return name, response.content
    raise bad_request(f"Invalid file parameter - {text[:80]}")


def _kind(url_resource_type: str, found: Probe) -> str:
    if url_resource_type == "auto":
        return found.resource_type
    if url_resource_type == "raw":
        return "raw"
    if found.resource_type != url_resource_type:
        raise bad_request(f"Invalid {url_resource_type} file")
    return url_resource_type


def _context(params: dict[str, Any]) -> Optional[dict[str, str]]:
    if "context" not in params or params["context"] in (None, ""):
        return None
    return {k: str(v) for k, v in parse_pipe_map(params["context"], "context").items() if str(v) != ""}


def _metadata(env: Environment, params: dict[str, Any]) -> Optional[dict[str, Any]]:
    if "metadata" not in params or params["metadata"] in (None, ""):
        return None
    return smd.resolve_values(env.metadata_fields, parse_pipe_map(params["metadata"], "metadata"))


def _merge_metadata(current: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    merged = dict(current)
    for name, value in changes.items():
        if value is None:
            merged.pop(name, None)
        else:
            merged[name] = value
    return merged


def _eager(params: dict[str, Any]) -> list[str]:
    """`eager` (pipe-separated transformations, each optionally ending in
    `/<format>` as the SDK's build_eager writes it) and the incoming
    `transformation` must be valid transformations; 400 otherwise."""
    text = str(params.get("eager") or "")
    components = [c for c in text.split("|") if c]
    incoming = [str(params["transformation"])] if params.get("transformation") else []
    for component in components + incoming:
        steps = component.split("/")
        if len(steps) > 1 and "_" not in steps[-1]:
            steps = steps[:-1]  # the trailing format extension
        try:
            parse_transformation("/".join(steps))
        except DeliveryError as exc:
            raise bad_request(f"Invalid transformation - {exc.message}") from None
    return components


def _version_after(previous: Optional[int], now: float) -> int:
    return max(int(now), (previous or 0) + 1)


def _notify_changes(state: SimState, env: Environment, before: dict[str, Any], asset: Asset,
                    notification_url: Optional[str], source: str = "api") -> None:
    """The change notifications for what an update did to one asset."""
    ref = notifications.resource_ref(asset)
    added = [t for t in asset.tags if t not in before["tags"]]
    removed = [t for t in before["tags"] if t not in asset.tags]
    if added or removed:
        notifications.enqueue(state, env, "resource_tags_changed",
                              {"source": source, "resources": [{**ref, "added": added, "removed": removed}]},
                              notification_url, source)
    context_change = _context_diff(before["context"], asset.context)
    if context_change:
        notifications.enqueue(state, env, "resource_context_changed",
                              {"source": source, "resources": {asset.public_id: {**ref, **context_change}}},
                              notification_url, source)
    meta_change = _metadata_diff(before["metadata"], asset.metadata)
    if meta_change:
        notifications.enqueue(state, env, "resource_metadata_changed",
                              {"source": source, "resources": {asset.public_id: {**ref, **meta_change}}},
                              notification_url, source)
    if before["display_name"] != asset.display_name:
        notifications.enqueue(state, env, "resource_display_name_changed",
                              {"source": source, "resources": {asset.public_id: {
                                  **ref, "previous_display_name": before["display_name"],
                                  "new_display_name": asset.display_name, "asset_folder": asset.asset_folder}}},
                              notification_url, source)
    if before["asset_folder"] != asset.asset_folder:
        notifications.enqueue(state, env, "move",
                              {"source": source, "resources": {asset.public_id: {
                                  **ref, "from_asset_folder": before["asset_folder"],
                                  "to_asset_folder": asset.asset_folder, "display_name": asset.display_name}}},
                              notification_url, source)


def _snapshot(asset: Asset) -> dict[str, Any]:
    return {"tags": list(asset.tags), "context": dict(asset.context), "metadata": dict(asset.metadata),
            "display_name": asset.display_name, "asset_folder": asset.asset_folder}


def _context_diff(before: dict[str, str], after: dict[str, str]) -> dict[str, Any]:
    added = {k: v for k, v in after.items() if k not in before}
    updated = {k: v for k, v in after.items() if k in before and before[k] != v}
    removed = [k for k in before if k not in after]
    return {"added": added, "removed": removed, "updated": updated} if (added or updated or removed) else {}


def _metadata_diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    if not changed:
        return {}
    return {"previous_metadata": {k: before.get(k) for k in changed},
            "new_metadata": {k: after.get(k) for k in changed}}


def _touch(asset: Asset, now: float) -> None:
    asset.updated_at = now


# -- Upload API ---------------------------------------------------------------------------------

def upload(state: SimState, env: Environment, url_resource_type: str, params: dict[str, Any], upload_file: FileParam,
           origin: str) -> dict[str, Any]:
    filename, data = read_file(upload_file)
    found = probe(data, filename)
    resource_type = _kind(url_resource_type, found)
    kind = check_type(params.get("type"))
    public_id = _public_id(params, filename, resource_type)
    tags = split_tags(params["tags"]) if params.get("tags") not in (None, "") else None
    context = _context(params)
    meta = _metadata(env, params)
    eager = _eager(params)
    overwrite = as_bool(params, "overwrite", True)
    with env.lock:
        now = state.now()
        existing = env.assets.get((resource_type, kind, public_id))
        if existing is not None and not overwrite:
            return resources.upload_response(existing, env.cloud_name, origin, env.api_key, existing=True)
        base_name = filename.rsplit("/", 1)[-1]
        original = base_name.rsplit(".", 1)[0] if "." in base_name else base_name
        asset = existing or Asset(asset_id=new_id(), public_id=public_id, resource_type=resource_type, type=kind,
                                  format="", version=0, version_id="", created_at=now, uploaded_at=now,
                                  updated_at=now, bytes=0, etag="",
                                  metadata=smd.defaults_for_new_asset(env.metadata_fields))
        asset.format = found.format if resource_type != "raw" else ""
        asset.version = _version_after(existing.version if existing else None, now)
        asset.version_id = new_id()
        asset.uploaded_at = asset.updated_at = now
        asset.bytes, asset.etag, asset.content = len(data), hashlib.md5(data).hexdigest(), data
        asset.width, asset.height, asset.duration = found.width, found.height, found.duration
        asset.original_filename = original
        if tags is not None:
            asset.tags = tags
        if context is not None:
            asset.context = context
        if meta is not None:
            asset.metadata = _merge_metadata(asset.metadata, meta)
        _names(asset, params, original, existing is None)
        env.assets[asset.key] = asset
        response = resources.upload_response(asset, env.cloud_name, origin, env.api_key, overwritten=bool(existing))
        if eager:
            response["eager"] = [_eager_entry(asset, env.cloud_name, origin, t) for t in eager]
    payload = {k: v for k, v in response.items() if k not in ("overwritten", "signature")}
    notifications.enqueue(state, env, "upload", {"timestamp": notifications.iso(now), "request_id": new_id(),
                                                 **payload}, params.get("notification_url") or None)
    return response


def _names(asset: Asset, params: dict[str, Any], original: str, new: bool) -> None:
    if params.get("display_name"):
        asset.display_name = str(params["display_name"])
    elif new:
        use_original = as_bool(params, "use_filename_as_display_name", False)
        asset.display_name = original if use_original else asset.public_id.rsplit("/", 1)[-1]
    if new or params.get("asset_folder") is not None or params.get("folder") is not None:
        asset.asset_folder = str(params.get("asset_folder") or params.get("folder") or "").strip("/")


def _public_id(params: dict[str, Any], filename: str, resource_type: str) -> str:
    folder = str(params.get("folder") or "").strip("/")
    if params.get("public_id"):
        public_id = str(params["public_id"])
    elif as_bool(params, "use_filename", False) and filename not in ("file", "stream", "blob"):
        stem = filename.rsplit("/", 1)[-1]
        stem = stem.rsplit(".", 1)[0] if resource_type != "raw" and "." in stem else stem
        stem = re.sub(r"[?&#\\%<>+\s]+", "_", stem) or _random_id()
        public_id = stem if not as_bool(params, "unique_filename", True) else f"{stem}_{_random_id(6)}"
    else:
        public_id = _random_id()
        if resource_type == "raw" and "." in filename:
            public_id += "." + filename.rsplit(".", 1)[-1]
    prefix = folder
    if as_bool(params, "use_asset_folder_as_public_id_prefix", False) and params.get("asset_folder"):
        prefix = str(params["asset_folder"]).strip("/")
    if prefix and not public_id.startswith(prefix + "/"):
        public_id = f"{prefix}/{public_id}"
    return check_public_id(public_id)


def _eager_entry(asset: Asset, cloud: str, origin: str, transformation: str) -> dict[str, Any]:
    url = resources.delivery_url(origin, cloud, asset)
    marker = f"/{asset.resource_type}/{asset.type}/"
    secure = url.replace(marker, f"{marker}{transformation}/", 1)
    return {"transformation": transformation, "format": asset.format, "secure_url": secure,
            "url": secure.replace("https://", "http://", 1)}


def explicit(state: SimState, env: Environment, resource_type: str, params: dict[str, Any],
             origin: str) -> dict[str, Any]:
    public_id = str(params.get("public_id") or "")
    if not public_id:
        raise bad_request("Missing required parameter - public_id")
    kind = check_type(params.get("type"))
    tags = split_tags(params["tags"]) if params.get("tags") not in (None, "") else None
    context = _context(params)
    meta = _metadata(env, params)
    eager = _eager(params)
    with env.lock:
        asset = env.assets.get((resource_type, kind, public_id))
        if asset is None:
            raise not_found(f"Resource not found - {public_id}")
        before = _snapshot(asset)
        if tags is not None:
            asset.tags = tags
        if context is not None:
            asset.context = context
        if meta is not None:
            asset.metadata = _merge_metadata(asset.metadata, meta)
        if params.get("display_name"):
            asset.display_name = str(params["display_name"])
        if params.get("asset_folder") is not None:
            asset.asset_folder = str(params["asset_folder"]).strip("/")
        if _snapshot(asset) != before:
            _touch(asset, state.now())
        response = resources.upload_response(asset, env.cloud_name, origin, env.api_key)
        if eager:
            response["eager"] = [_eager_entry(asset, env.cloud_name, origin, t) for t in eager]
    _notify_changes(state, env, before, asset, params.get("notification_url") or None)
    return response


def rename(state: SimState, env: Environment, resource_type: str, params: dict[str, Any],
           origin: str) -> dict[str, Any]:
    source, target = str(params.get("from_public_id") or ""), str(params.get("to_public_id") or "")
    if not source:
        raise bad_request("Missing required parameter - from_public_id")
    if not target:
        raise bad_request("Missing required parameter - to_public_id")
    check_public_id(target)
    kind = check_type(params.get("type"))
    to_kind = check_type(params.get("to_type") or kind)
    with env.lock:
        asset = env.assets.get((resource_type, kind, source))
        if asset is None:
            raise not_found(f"Resource not found - {source}")
        occupied = env.assets.get((resource_type, to_kind, target))
        if occupied is not None and occupied is not asset:
            if not as_bool(params, "overwrite", False):
                raise bad_request(f"to_public_id {target} already exists")
            del env.assets[occupied.key]
        del env.assets[asset.key]
        asset.public_id, asset.type = target, to_kind
        _touch(asset, state.now())
        env.assets[asset.key] = asset
        response = resources.admin_resource(asset, env.cloud_name, origin,
                                            context=as_bool(params, "context", False),
                                            metadata=as_bool(params, "metadata", False))
    notifications.enqueue(state, env, "rename", {
        "resource_type": asset.resource_type, "type": asset.type, "asset_id": asset.asset_id,
        "asset_folder": asset.asset_folder, "display_name": asset.display_name,
        "from_public_id": source, "to_public_id": target}, params.get("notification_url") or None)
    return response


def destroy(state: SimState, env: Environment, resource_type: str, params: dict[str, Any]) -> dict[str, Any]:
    public_id = str(params.get("public_id") or "")
    if not public_id:
        raise bad_request("Missing required parameter - public_id")
    kind = check_type(params.get("type"))
    with env.lock:
        asset = env.assets.pop((resource_type, kind, public_id), None)
    if asset is None:
        return {"result": "not found"}
    notifications.enqueue(state, env, "delete", {"resources": [_deleted_ref(asset)]},
                          params.get("notification_url") or None)
    return {"result": "ok"}


def _deleted_ref(asset: Asset) -> dict[str, Any]:
    return {**notifications.resource_ref(asset), "version": asset.version, "asset_folder": asset.asset_folder,
            "display_name": asset.display_name}


def _targets(env: Environment, resource_type: str, params: dict[str, Any], limit: int) -> list[Asset]:
    ids = as_list(params, "public_ids")
    if not ids:
        raise bad_request("Missing required parameter - public_ids")
    kind = check_type(params.get("type"))
    found = [env.assets[(resource_type, kind, pid)] for pid in ids if (resource_type, kind, pid) in env.assets]
    return found[:limit]


def tags_command(state: SimState, env: Environment, resource_type: str, params: dict[str, Any]) -> dict[str, Any]:
    command = str(params.get("command") or "")
    if command not in ("add", "remove", "replace", "remove_all", "set_exclusive"):
        raise bad_request(f"Invalid command - {command}. Must be one of: add, remove, replace, remove_all")
    names = split_tags(params.get("tag") or params.get("tags") or "")
    if command != "remove_all" and not names:
        raise bad_request("Missing required parameter - tag")
    if any("," in n for n in names):
        raise bad_request("Tag names may not contain a comma")
    with env.lock:
        assets = _targets(env, resource_type, params, MAX_TAG_COMMAND_IDS)
        affected = list(assets)
        if command == "set_exclusive":
            affected += [a for a in env.assets.values() if a not in assets and set(names) & set(a.tags)]
        before = {a.asset_id: _snapshot(a) for a in affected}
        for asset in affected:
            asset.tags = _new_tags(command, asset.tags, names, asset in assets)
            if asset.tags != before[asset.asset_id]["tags"]:
                _touch(asset, state.now())
    for asset in affected:
        _notify_changes(state, env, before[asset.asset_id], asset, params.get("notification_url") or None)
    return {"public_ids": [a.public_id for a in assets]}


def _new_tags(command: str, current: list[str], names: list[str], targeted: bool) -> list[str]:
    if command == "add" or (command == "set_exclusive" and targeted):
        return current + [n for n in names if n not in current]
    if command in ("remove", "set_exclusive"):
        return [t for t in current if t not in names]
    if command == "replace":
        return list(names)
    return []


def context_command(state: SimState, env: Environment, resource_type: str, params: dict[str, Any]) -> dict[str, Any]:
    command = str(params.get("command") or "")
    if command not in ("add", "remove_all"):
        raise bad_request(f"Invalid command - {command}. Must be one of: add, remove_all")
    changes = parse_pipe_map(params["context"], "context") if params.get("context") not in (None, "") else None
    if command == "add" and not changes:
        raise bad_request("Missing required parameter - context")
    with env.lock:
        assets = _targets(env, resource_type, params, MAX_TAG_COMMAND_IDS)
        before = {a.asset_id: _snapshot(a) for a in assets}
        for asset in assets:
            if command == "remove_all":
                asset.context = {}
            else:
                merged = dict(asset.context)
                for key, value in (changes or {}).items():
                    if str(value) == "":
                        merged.pop(key, None)
                    else:
                        merged[key] = str(value)
                asset.context = merged
            if asset.context != before[asset.asset_id]["context"]:
                _touch(asset, state.now())
    for asset in assets:
        _notify_changes(state, env, before[asset.asset_id], asset, params.get("notification_url") or None)
    return {"public_ids": [a.public_id for a in assets]}


def metadata_command(state: SimState, env: Environment, resource_type: str, params: dict[str, Any]) -> dict[str, Any]:
    if params.get("metadata") in (None, ""):
        raise bad_request("Missing required parameter - metadata")
    changes = _metadata(env, params) or {}
    with env.lock:
        assets = _targets(env, resource_type, params, MAX_TAG_COMMAND_IDS)
        before = {a.asset_id: _snapshot(a) for a in assets}
        for asset in assets:
            asset.metadata = _merge_metadata(asset.metadata, changes)
            if asset.metadata != before[asset.asset_id]["metadata"]:
                _touch(asset, state.now())
    for asset in assets:
        _notify_changes(state, env, before[asset.asset_id], asset, params.get("notification_url") or None)
    return {"public_ids": [a.public_id for a in assets]}


# -- Admin API ----------------------------------------------------------------------------------

def update(state: SimState, env: Environment, resource_type: str, kind: str, public_id: str, params: dict[str, Any],
           origin: str) -> dict[str, Any]:
    tags = split_tags(params["tags"]) if "tags" in params and params["tags"] is not None else None
    context = _context(params) if "context" in params else None
    meta = _metadata(env, params)
    with env.lock:
        asset = env.assets.get((resource_type, kind, public_id))
        if asset is None:
            raise not_found(f"Resource not found - {public_id}")
        before = _snapshot(asset)
        if tags is not None:
            asset.tags = tags
        if "context" in params:
            asset.context = context or {}
        if meta is not None:
            asset.metadata = _merge_metadata(asset.metadata, meta)
        if params.get("display_name") not in (None, ""):
            asset.display_name = str(params["display_name"])
        if params.get("asset_folder") is not None:
            asset.asset_folder = str(params["asset_folder"]).strip("/")
        if _snapshot(asset) != before:
            _touch(asset, state.now())
        response = resources.admin_resource(asset, env.cloud_name, origin)
    _notify_changes(state, env, before, asset, params.get("notification_url") or None)
    return response


def delete_resources(state: SimState, env: Environment, resource_type: str, kind: str,
                     params: dict[str, Any]) -> dict[str, Any]:
    ids = as_list(params, "public_ids")
    prefix = params.get("prefix")
    everything = as_bool(params, "all", False)
    if len(ids) > MAX_IDS_PER_CALL:
        raise bad_request(f"Too many public_ids (maximum {MAX_IDS_PER_CALL})")
    if not ids and not prefix and not everything:
        raise bad_request("Missing required parameter - public_ids")
    keep_original = as_bool(params, "keep_original", False)
    with env.lock:
        if not ids:
            ids = sorted(a.public_id for a in env.assets.values()
                         if a.resource_type == resource_type and a.type == kind
                         and (everything or a.public_id.startswith(str(prefix))))[:1000]
        deleted: dict[str, str] = {}
        counts: dict[str, dict[str, int]] = {}
        gone: list[Asset] = []
        for public_id in ids:
            asset = env.assets.get((resource_type, kind, public_id))
            if asset is None:
                deleted[public_id] = "not_found"
                counts[public_id] = {"original": 0, "derived": 0}
                continue
            deleted[public_id] = "deleted"
            counts[public_id] = {"original": 0 if keep_original else 1, "derived": 0}
            if not keep_original:
                del env.assets[asset.key]
                gone.append(asset)
    if gone:
        notifications.enqueue(state, env, "delete", {"resources": [_deleted_ref(a) for a in gone]},
                              params.get("notification_url") or None)
    return {"deleted": deleted, "deleted_counts": counts, "partial": False}


def seed(state: SimState, env: Environment, spec: dict[str, Any]) -> Asset:
    """A stored asset without a file (control API): a generated stand-in."""
    from .errors import ControlProblem
    resource_type = spec.get("resource_type", "image")
    if resource_type not in ("image", "video"):
        raise ControlProblem(422, "Invalid asset", "resource_type must be image or video")
    public_id = spec.get("public_id")
    if not isinstance(public_id, str):
        raise ControlProblem(422, "Invalid asset", "public_id is required")
    try:
        check_public_id(public_id)
        meta = smd.resolve_values(env.metadata_fields, dict(spec.get("metadata") or {}))
    except CloudinaryError as exc:
        raise ControlProblem(422, "Invalid asset", exc.message) from None
    now = state.now()
    at = float(spec.get("uploaded_at", now))
    video = resource_type == "video"
    asset = Asset(asset_id=new_id(), public_id=public_id, resource_type=resource_type,
                  type=spec.get("type", "upload"), format=spec.get("format", "mp4" if video else "jpg"),
                  version=int(spec.get("version", int(at))), version_id=new_id(), created_at=at, uploaded_at=at,
                  updated_at=float(spec.get("updated_at", at)), bytes=int(spec.get("bytes", 100000)),
                  etag=hashlib.md5(public_id.encode()).hexdigest(),
                  width=int(spec.get("width", 640 if video else 1000)),
                  height=int(spec.get("height", 360 if video else 1000)),
                  duration=float(spec.get("duration", 1.0)) if video else None,
                  tags=split_tags(spec.get("tags") or []),
                  context={k: str(v) for k, v in (spec.get("context") or {}).items()},
                  metadata={k: v for k, v in meta.items() if v is not None},
                  display_name=spec.get("display_name", public_id.rsplit("/", 1)[-1]),
                  asset_folder=spec.get("asset_folder", public_id.rsplit("/", 1)[0] if "/" in public_id else ""),
                  original_filename=public_id.rsplit("/", 1)[-1], content=None,
                  seed_color=spec.get("color") or stand_in_color(public_id))
    with env.lock:
        env.assets[asset.key] = asset
    return asset
