"""Settings → Automation (issue 10.8): on/off, rules in words, the last
notifications and what each did, pause and resume; the history's runs say
they are automation's and what started them."""
from __future__ import annotations

import os

import pytest

from shopify_app.extensions import db
from shopify_app.models import AutomationEvent
from tests.automation.support import notification
from tests.support import CHROMIUM, auth_header


def test_settings_shows_automation_and_pauses_it(app, client, automated):
    store = automated([{"title": "Shoe", "variants": [{"sku": "ABC-1"}]}])
    store.notify(notification("upload", asset_id="a1", public_id="shoes/abc-1", resource_type="image"))
    store.notify(notification("eager", asset_id="a1", public_id="shoes/abc-1"))
    headers = auth_header(store.domain)
    [automation] = client.get("/app/api/automation", headers=headers).get_json()["automations"]
    assert automation["status"] == "active" and automation["cloud_name"] == store.cld.cloud_name
    assert automation["rules"] == [("Assets whose metadata “sku” equals a product's sku are linked to it, added "
                                    "after the product's other images, ordered by “sequence_number”. Deleting an "
                                    "asset in Cloudinary removes it from the products.")]
    assert [(e["type"], e["did"]) for e in automation["events"]] == [
        ("eager", "ignored: notification type 'eager' does not change what is linked"),
        ("Upload", "waiting to run")]
    assert store.cld.api_secret not in client.get("/app/api/automation", headers=headers).get_data(as_text=True)

    paused = client.post(f"/app/api/automation/{automation['id']}/pause", headers=headers)
    assert paused.status_code == 200 and paused.get_json()["status"] == "paused"
    assert client.post(f"/app/api/automation/{automation['id']}/resume", headers=headers).get_json()["status"] \
        == "active"
    other = client.post("/app/api/automation/" + "0" * 32 + "/pause", headers=headers)
    assert other.status_code == 404
    with app.app_context():
        assert db.session.query(AutomationEvent).count() == 2


def test_the_settings_page_includes_the_automation_section(client, make_shop):
    from tests.support import HOME_SHOP, embedded_query
    make_shop(HOME_SHOP, name="Home")
    page = client.get("/settings?" + embedded_query(HOME_SHOP))
    assert page.status_code == 200, page.get_data(as_text=True)[:500]
    html = page.get_data(as_text=True)
    assert 'id="automation"' in html and "/static/automation.js" in html
    script = client.get("/static/automation.js")
    assert script.status_code == 200 and b"/app/api/automation" in script.data
    script.close()


def test_history_runs_say_they_are_automations_and_why(app, client, automated):
    from shopify_app.models import AutomationRun, Sync, utcnow
    store = automated([{"title": "Shoe", "variants": [{"sku": "ABC-1"}]}])
    with app.app_context():
        automation_id = db.session.query(AutomationEvent.automation_id).first()
        from shopify_app.models import Automation
        automation = db.session.query(Automation).one()
        sync = Sync(shop_id=automation.shop_id, kind="sync", status="succeeded", request={}, created_at=utcnow())
        db.session.add(sync)
        db.session.flush()
        db.session.add(AutomationRun(sync_id=sync.id, automation_id=automation.id, trigger="delete"))
        db.session.commit()
        sync_id = sync.id
    assert automation_id is None
    [run] = client.get("/app/api/syncs", headers=auth_header(store.domain)).get_json()["syncs"]
    assert (run["id"], run["source"], run["trigger"]) == (sync_id, "automation", "delete")
    [listed] = store.syncs()
    assert (listed["source"], listed["trigger"]) == ("automation", "delete")


@pytest.mark.browser
@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is missing (apt-get install chromium)")
def test_the_automation_section_in_a_browser(app, automated, page, screenshot):
    """Settings → Automation in headless Chromium (cdn.shopify.com blocked):
    rules in words, the notifications and what each did, Pause and Resume."""
    from playwright.sync_api import expect

    from tests.support import embedded_query
    store = automated([{"title": "Shoe", "variants": [{"sku": "ABC-1"}]}])
    store.notify(notification("upload", asset_id="a1", public_id="shoes/abc-1_front", resource_type="image"))
    store.notify(notification("eager", asset_id="a1", public_id="shoes/abc-1_front"))
    assert page.goto(f"{page.server}/settings?{embedded_query(store.domain)}").status == 200
    page.get_by_role("button", name="Automation").click()  # its tab
    section = page.locator("#automation")
    expect(section.get_by_text("Assets whose metadata “sku” equals a product's sku")).to_be_visible()
    expect(section.get_by_text(f"Cloudinary environment {store.cld.cloud_name}")).to_be_visible()
    expect(section.get_by_text("Upload shoes/abc-1_front → waiting to run")).to_be_visible()
    expect(section.get_by_text("does not change what is linked")).to_be_visible()
    expect(section.get_by_text("On", exact=True)).to_be_visible()
    section.get_by_role("button", name="Pause").click()
    expect(section.get_by_text("Paused", exact=True)).to_be_visible()
    section.get_by_role("button", name="Resume").click()
    expect(section.get_by_text("On", exact=True)).to_be_visible()
    screenshot(page, "settings-automation.png")
