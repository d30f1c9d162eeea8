"""Authentication as Cloudinary checks it, proven with the real SDK: Basic
credentials on the Admin API, signed parameters (SHA-1 and SHA-256) on the
Upload API, stale and forged signatures refused with Cloudinary's messages."""
from __future__ import annotations

import hashlib
import time

import cloudinary.api
import cloudinary.uploader
import pytest
import requests
from cloudinary.exceptions import AuthorizationRequired, BadRequest
from cloudinary.utils import api_sign_request

from .support import image_bytes, make_environment


def test_ping_with_the_environment_credentials(cld):
    assert cloudinary.api.ping(**cld.opts) == {"status": "ok"}


def test_admin_api_refuses_a_wrong_secret_and_an_unknown_key(cld):
    with pytest.raises(AuthorizationRequired, match="api_secret mismatch"):
        cloudinary.api.ping(**{**cld.opts, "api_secret": "wrong"})
    with pytest.raises(AuthorizationRequired, match="Unknown API key 999"):
        cloudinary.api.ping(**{**cld.opts, "api_key": "999"})


def test_admin_api_without_credentials_answers_cloudinarys_error_shape(cld):
    response = requests.get(f"{cld.sim.base_url}/v1_1/{cld.cloud_name}/ping", timeout=10)
    assert response.status_code == 401
    assert response.json() == {"error": {"message": "Invalid credentials"}}


def test_unknown_cloud_is_refused(cld):
    with pytest.raises(AuthorizationRequired, match="Invalid cloud_name"):
        cloudinary.api.ping(**{**cld.opts, "cloud_name": "nope"})


def test_signed_upload_with_sha1_and_sha256(cld):
    first = cloudinary.uploader.upload(image_bytes(), public_id="a", **cld.opts)
    second = cloudinary.uploader.upload(image_bytes(), public_id="b", signature_algorithm="sha256", **cld.opts)
    assert (first["public_id"], second["public_id"]) == ("a", "b")


def test_environment_limited_to_sha256_refuses_sha1(csim):
    env = make_environment(csim, signature_algorithm="sha256")
    with pytest.raises(AuthorizationRequired, match="Invalid Signature"):
        cloudinary.uploader.upload(image_bytes(), public_id="a", **env.opts)
    assert cloudinary.uploader.upload(image_bytes(), public_id="a", signature_algorithm="sha256",
                                      **env.opts)["public_id"] == "a"


def test_wrong_secret_answers_the_string_to_sign(cld):
    with pytest.raises(AuthorizationRequired) as caught:
        cloudinary.uploader.upload(image_bytes(), public_id="x/y", tags=["b", "a"],
                                   **{**cld.opts, "api_secret": "wrong"})
    message = str(caught.value)
    assert message.startswith("Invalid Signature ")
    # Sorted parameters, arrays joined by commas, file/api_key/resource_type left out.
    assert "String to sign - 'public_id=x/y&tags=b,a&timestamp=" in message


def test_a_hand_made_request_signed_as_documented(cld):
    """Independent of the SDK: the documented recipe (sorted name=value pairs
    joined with &, secret appended, SHA-1 hex)."""
    timestamp = str(int(time.time()))
    params = {"public_id": "manual", "timestamp": timestamp, "context": "alt=A|caption=B"}
    to_sign = "&".join(f"{k}={params[k]}" for k in sorted(params)) + cld.api_secret
    signature = hashlib.sha1(to_sign.encode()).hexdigest()
    response = requests.post(f"{cld.sim.base_url}/v1_1/{cld.cloud_name}/image/upload",
                             data={**params, "api_key": cld.api_key, "signature": signature},
                             files={"file": ("m.png", image_bytes())}, timeout=10)
    assert response.status_code == 200, response.text
    assert response.json()["context"] == {"custom": {"alt": "A", "caption": "B"}}
    tampered = requests.post(f"{cld.sim.base_url}/v1_1/{cld.cloud_name}/image/upload",
                             data={**params, "public_id": "other", "api_key": cld.api_key, "signature": signature},
                             files={"file": ("m.png", image_bytes())}, timeout=10)
    assert tampered.status_code == 401
    assert tampered.json()["error"]["message"].startswith(f"Invalid Signature {signature}.")


def test_stale_timestamp_is_refused(cld):
    old = int(time.time()) - 3601
    params = {"public_id": "old", "timestamp": old}
    signature = api_sign_request(params, cld.api_secret)
    response = requests.post(f"{cld.sim.base_url}/v1_1/{cld.cloud_name}/image/upload",
                             data={**params, "api_key": cld.api_key, "signature": signature},
                             files={"file": ("m.png", image_bytes())}, timeout=10)
    assert response.status_code == 400
    assert response.json()["error"]["message"] == \
        f"Stale request - reported time is {old} which is more than 1 hour ago"


def test_missing_api_key_and_signature(cld):
    url = f"{cld.sim.base_url}/v1_1/{cld.cloud_name}/image/upload"
    files = {"file": ("m.png", image_bytes())}
    missing_key = requests.post(url, data={"timestamp": int(time.time())}, files=files, timeout=10)
    assert (missing_key.status_code, missing_key.json()["error"]["message"]) == (401, "Must supply api_key")
    missing_signature = requests.post(url, data={"timestamp": int(time.time()), "api_key": cld.api_key},
                                      files={"file": ("m.png", image_bytes())}, timeout=10)
    assert missing_signature.status_code == 401


def test_tags_endpoint_does_not_sign_notification_url(cld, receiver):
    """The SDK leaves notification_url out of the signature for tags, context
    and metadata; the call only succeeds if the server agrees."""
    cloudinary.uploader.upload(image_bytes(), public_id="t", **cld.opts)
    result = cloudinary.uploader.add_tag("new", ["t"], notification_url=receiver.url, **cld.opts)
    assert result == {"public_ids": ["t"]}


def test_signature_version_1_is_accepted_too(cld):
    """Older SDKs sign `&` inside values unescaped (signature version 1)."""
    timestamp = int(time.time())
    params = {"public_id": "v1", "timestamp": timestamp, "context": "alt=a&b"}
    signature = api_sign_request(params, cld.api_secret, signature_version=1)
    response = requests.post(f"{cld.sim.base_url}/v1_1/{cld.cloud_name}/image/upload",
                             data={**params, "api_key": cld.api_key, "signature": signature},
                             files={"file": ("m.png", image_bytes())}, timeout=10)
    assert response.status_code == 200, response.text


def test_upload_api_accepts_basic_authentication(cld):
    response = requests.post(f"{cld.sim.base_url}/v1_1/{cld.cloud_name}/image/upload",
                             data={"public_id": "basic"}, files={"file": ("m.png", image_bytes())},
                             auth=(cld.api_key, cld.api_secret), timeout=10)
    assert response.status_code == 200, response.text
    refused = requests.post(f"{cld.sim.base_url}/v1_1/{cld.cloud_name}/image/upload",
                            data={"public_id": "basic"}, files={"file": ("m.png", image_bytes())},
                            auth=(cld.api_key, "nope"), timeout=10)
    assert refused.status_code == 401


def test_bad_request_type_on_upload_endpoint(cld):
    with pytest.raises(BadRequest, match="Invalid type"):
        cloudinary.uploader.upload(image_bytes(), public_id="t", type="bogus", **cld.opts)
