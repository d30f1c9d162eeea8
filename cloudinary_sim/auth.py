"""Who may call: HTTP Basic for the Admin and Search APIs, signed parameters
(or Basic) for the Upload API, exactly as Cloudinary documents them.

Admin API (https://cloudinary.com/documentation/admin_api#authentication):
"authenticated using Basic Authentication over secure HTTP with your API Key
and API Secret". Upload API signatures
(https://cloudinary.com/documentation/authentication_signatures): the string to
sign is every parameter of the call except `file`, `cloud_name`,
`resource_type` and `api_key` (and `signature` itself), sorted by name,
`name=value` joined with `&` (array values joined with `,`), followed by the API
secret; the signature is its hex SHA-1 or SHA-256 digest. "By default,
Cloudinary supports both SHA-1 and SHA-256 digests for validation"; an account
can be limited to SHA-256 (the environment's `signature_algorithm: sha256`
here). Signatures are valid for one hour from `timestamp`
(https://cloudinary.com/documentation/generate_upload_signature_tutorial:
"signatures are valid for one hour"); older ones answer 400 "Stale request -
reported time is T which is more than 1 hour ago" (api-schemas
asset-management/schema.yml). A wrong signature answers 401 "Invalid Signature
S. String to sign - '...'." (same schema).

Parameters whose value is empty are not signed (the SDK's `api_string_to_sign`
skips falsy values and `call_api` doesn't send them). Signature version 2 (SDK
≥ 1.42, "prevents parameter smuggling") writes `&` inside values as `%26`; a
signature over either form is accepted, since both SDK generations are in use.
The tags, context and metadata endpoints don't sign `notification_url` and
`batch_id` (pycloudinary uploader._NON_SIGNABLE_NOTIFICATION_PARAMS: "The tags,
context and metadata endpoints accept these params but omit them from
signature"). Basic authentication is accepted on the Upload API too
(https://cloudinary.com/documentation/image_upload_api_reference#basic_authentication).
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from typing import Any, Optional

from flask import Request

from .errors import CloudinaryError
from .state import Environment, SimState

NOT_SIGNED = ("file", "cloud_name", "resource_type", "api_key", "signature")
UNSIGNED_NOTIFICATION_PARAMS_ACTIONS = ("tags", "context", "metadata")
SIGNATURE_MAX_AGE_SECONDS = 3600
HASHES = {40: ("sha1", hashlib.sha1), 64: ("sha256", hashlib.sha256)}


def environment_for(state: SimState, cloud_name: str) -> Environment:
    env = state.environment(cloud_name)
    if env is None:
        # Wording UNCONFIRMED: Cloudinary refuses an unknown cloud with 401.
        raise CloudinaryError(401, f"Invalid cloud_name {cloud_name}")
    return env


def basic_credentials(request: Request) -> Optional[tuple[str, str]]:
    header = request.headers.get("Authorization", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    key, sep, secret = decoded.partition(":")
    return (key, secret) if sep else None


def check_basic(env: Environment, request: Request) -> None:
    """The Admin API's Basic authentication."""
    credentials = basic_credentials(request)
    if credentials is None:
        if request.headers.get("Authorization", "").lower().startswith("bearer "):
            raise CloudinaryError(401, "Invalid token")
        raise CloudinaryError(401, "Invalid credentials")
    key, secret = credentials
    if key != env.api_key:
        raise CloudinaryError(401, f"Unknown API key {key}")
    if not hmac.compare_digest(secret.encode(), env.api_secret.encode()):
        raise CloudinaryError(401, "api_secret mismatch")


def string_to_sign(params: dict[str, Any], action: str, *, version: int = 2) -> str:
    """What the caller must have signed, as Cloudinary builds it."""
    skipped = set(NOT_SIGNED)
    if action in UNSIGNED_NOTIFICATION_PARAMS_ACTIONS:
        skipped.update(("notification_url", "batch_id"))
    pairs = []
    for name, value in params.items():
        if name in skipped:
            continue
        text = ",".join(value) if isinstance(value, list) else str(value)
        if text == "":
            continue
        pair = f"{name}={text}"
        if version >= 2:
            pair = pair.replace("&", "%26")
        pairs.append(pair)
    return "&".join(sorted(pairs))


def sign(to_sign: str, secret: str, algorithm: str) -> str:
    return hashlib.new(algorithm, (to_sign + secret).encode("utf-8")).hexdigest()


def check_upload_auth(env: Environment, request: Request, params: dict[str, Any], action: str, now: float) -> None:
    """Basic credentials, or a valid and fresh signature over the parameters."""
    if basic_credentials(request) is not None:
        check_basic(env, request)
        return
    api_key = params.get("api_key")
    if not api_key:
        raise CloudinaryError(401, "Must supply api_key")
    if api_key != env.api_key:
        raise CloudinaryError(401, f"Unknown API key {api_key}")
    timestamp = params.get("timestamp")
    if not timestamp:
        raise CloudinaryError(400, "Missing required parameter - timestamp")
    try:
        reported = int(str(timestamp))
    except ValueError:
        raise CloudinaryError(400, f"Invalid value {timestamp} for parameter timestamp") from None
    if reported < now - SIGNATURE_MAX_AGE_SECONDS:
        raise CloudinaryError(400, f"Stale request - reported time is {reported} which is more than 1 hour ago")
    signature = str(params.get("signature") or "")
    if not signature:
        raise CloudinaryError(401, "Missing required parameter - signature")
    if not signature_matches(env, params, action, signature):
        signed = string_to_sign(params, action)
        raise CloudinaryError(401, f"Invalid Signature {signature}. String to sign - '{signed}'.")


def signature_matches(env: Environment, params: dict[str, Any], action: str, signature: str) -> bool:
    algorithm = HASHES.get(len(signature), (None, None))[0]
    if algorithm is None or (env.signature_algorithm == "sha256" and algorithm != "sha256"):
        return False
    for version in (2, 1):
        expected = sign(string_to_sign(params, action, version=version), env.api_secret, algorithm)
        if hmac.compare_digest(expected.encode(), signature.lower().encode()):
            return True
    return False
