"""Settings: defaults, whole-object PUT, validation with field paths."""
from __future__ import annotations

import pytest

from tests.support import bearer

DEFAULTS = {"default_transformation": "", "alt_text_source": "display_name", "filename_format": "public_id",
            "video_behavior": "placeholder", "asset_type_field": None, "sync_completed_webhook_url": None,
            "cache_busting": False}

VALID = {"default_transformation": "w_1200,h_1200,c_fill/f_auto,q_auto", "alt_text_source": "metadata:alt_en",
         "filename_format": "all_metadata", "video_behavior": "none", "asset_type_field": "asset_type",
         "sync_completed_webhook_url": "https://hooks.example.com/assetlink?x=1", "cache_busting": True}


def test_defaults_then_replace(client, connected):
    _, result = connected
    headers = bearer(result["token"])
    assert client.get("/bridge/v1/settings", headers=headers).get_json() == DEFAULTS
    response = client.put("/bridge/v1/settings", headers=headers, json=VALID)
    assert response.status_code == 200 and response.get_json() == VALID
    assert client.get("/bridge/v1/settings", headers=headers).get_json() == VALID
    assert client.get("/bridge/v1/store", headers=headers).get_json()["settings"] == VALID
    # Whole object: keys left out go back to their default.
    response = client.put("/bridge/v1/settings", headers=headers, json={"cache_busting": True})
    assert response.get_json() == {**DEFAULTS, "cache_busting": True}


@pytest.mark.parametrize("body, field", [
    ({"colour": "red"}, "colour"),
    ({"default_transformation": "w_1200,,c_fill"}, "default_transformation"),
    ({"default_transformation": "width_1200"}, "default_transformation"),
    ({"default_transformation": "c_stretch"}, "default_transformation"),
    ({"default_transformation": 5}, "default_transformation"),
    ({"alt_text_source": "metadata:"}, "alt_text_source"),
    ({"alt_text_source": "title"}, "alt_text_source"),
    ({"filename_format": "slug"}, "filename_format"),
    ({"video_behavior": "stream"}, "video_behavior"),
    ({"asset_type_field": "has space"}, "asset_type_field"),
    ({"sync_completed_webhook_url": "ftp://example.com/x"}, "sync_completed_webhook_url"),
    ({"sync_completed_webhook_url": "not a url"}, "sync_completed_webhook_url"),
    ({"cache_busting": "yes"}, "cache_busting"),
])
def test_invalid_settings_are_422_with_the_field(client, connected, body, field):
    _, result = connected
    response = client.put("/bridge/v1/settings", headers=bearer(result["token"]), json=body)
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert [e["field"] for e in response.get_json()["errors"]] == [field]
    # Nothing half-written.
    assert client.get("/bridge/v1/settings", headers=bearer(result["token"])).get_json() == DEFAULTS


def test_transformation_error_says_where(client, connected):
    _, result = connected
    response = client.put("/bridge/v1/settings", headers=bearer(result["token"]),
                          json={"default_transformation": "w_100/c_fill,zz_3"})
    message = response.get_json()["errors"][0]["message"]
    assert "'zz'" in message and "step 2" in message


@pytest.mark.parametrize("url, ok", [
    ("https://hooks.example.com/x", True),
    ("http://hooks.example.com/x", False),
    ("https://127.0.0.1/x", False),
    ("https://10.0.0.8/x", False),
    ("https://169.254.169.254/latest", False),
    ("https://[::1]/x", False),
    ("https://localhost/x", False),
    ("https://user:pw@hooks.example.com/x", False),
    ("https://intranet/x", False),
    # Issue 15.7: addresses in disguise, refused when saved.
    ("https://0x7f.0.0.1/x", False),
    ("https://0177.0.0.1/x", False),
    ("https://127.1/x", False),
    ("https://2130706433/x", False),
    ("https://010.8.8.8/x", False),           # public, but not written plainly either
    ("https://1.2.3.4.5/x", False),
    ("https://[::127.0.0.1]/x", False),       # IPv4-compatible
    ("https://[::ffff:127.0.0.1]/x", False),  # IPv4-mapped
    ("https://[64:ff9b::7f00:1]/x", False),   # NAT64 to loopback
    ("https://[64:ff9b::a00:1]/x", False),    # NAT64 to 10.0.0.1
    ("https://[2002:7f00:1::1]/x", False),    # 6to4 of 127.0.0.1
    ("https://[2002:a9fe:a9fe::1]/x", False),  # 6to4 of 169.254.169.254
    ("https://[fec0::1]/x", False),           # site-local
    ("https://224.0.0.1/x", False),           # multicast
    ("https://8.8.8.8/x", True),
    ("https://[2606:4700:4700::1111]/x", True),
    ("https://[64:ff9b::808:808]/x", True),   # NAT64 to a public address
    ("https://hooks.example.com./x", True),
])
def test_webhook_urls_outside_development(app, connected, url, ok):
    app.config["ASSETLINK_DEVELOPMENT"] = False
    _, result = connected
    response = app.test_client().put("/bridge/v1/settings", headers=bearer(result["token"]),
                                      json={"sync_completed_webhook_url": url})
    assert (response.status_code == 200) is ok, response.get_data(as_text=True)


def test_development_allows_local_http_webhooks(client, connected):
    _, result = connected
    response = client.put("/bridge/v1/settings", headers=bearer(result["token"]),
                          json={"sync_completed_webhook_url": "http://127.0.0.1:9999/hook"})
    assert response.status_code == 200


def test_batch_overrides_merge_and_validate(app, connected):
    from shopify_app.problems import Problem
    from shopify_app.extensions import db
    from shopify_app.models import BridgeCredential
    from cloudinary_bridge.settings import effective_settings
    _, result = connected
    client = app.test_client()
    client.put("/bridge/v1/settings", headers=bearer(result["token"]), json={"video_behavior": "none"})
    with app.test_request_context():
        credential = db.session.get(BridgeCredential, result["connection_id"])
        merged = effective_settings(credential, {"cache_busting": True})
        assert merged.video_behavior == "none" and merged.cache_busting is True
        assert effective_settings(credential, None).cache_busting is False
        with pytest.raises(Problem) as raised:
            effective_settings(credential, {"bogus": 1, "filename_format": "x"})
        assert {e["field"] for e in raised.value.errors} == {"settings.bogus", "settings.filename_format"}
