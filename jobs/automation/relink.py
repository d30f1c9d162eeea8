"""Touched assets -> the batches that bring the store in step (the heart
of automation; notifications, products/create|update and the daily
reconciliation all end here).

A group is re-linked whole: every asset Cloudinary's Search API finds with
that match value (following the rule's filter), in the rule's order, as one
ordinary sync (jobs.sync_job) queued on the store's queue like a dialog
sync, so order and membership are right whatever order notifications came
in. The groups are the touched assets' values now (read from the Admin API,
never from a notification body), the values our records show they were
linked under before (by the same field: a link made by another field's
values is not this rule's), and any hinted or asked-for values. An asset
our records show linked under one of those groups but no longer in it
(renamed, regrouped, filtered out), or deleted, is taken off those products
by an ordinary unlink (jobs.unlink_job), which leaves merchant media alone and
rewrites productmedia_v1 and swatches; `on_delete: "keep"` leaves deleted
assets where they are.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from pydantic import ValidationError

from jobs import batch_service
from jobs.planner.request import MAX_ASSETS, Asset
from jobs.planner.settings import Settings
from shopify_app import cloudinary_admin, crypto
from shopify_app.extensions import db
from shopify_app.models import Automation, AutomationRun, BridgeCredential, Sync, utcnow

from .. import asset_links
from .rules import AutomationRule, norm

log = logging.getLogger(__name__)

AssetRef = tuple[str, str, str]  # (resource_type, type, public_id)


@dataclass
class Work:
    """What to bring in step: assets to read again (`refs`: asset_id and/or
    public_id), assets already read (`current`), hinted group values
    ([field, value]) and group values asked for by match field (`groups`)."""

    refs: list[Mapping[str, Any]] = field(default_factory=list)
    current: list[Mapping[str, Any]] = field(default_factory=list)
    hints: list[list[str]] = field(default_factory=list)
    groups: dict[str, set[str]] = field(default_factory=dict)
    gone: list[str] = field(default_factory=list)  # public IDs known to be deleted (the reconciliation's check)


def rules_of(automation: Automation) -> list[AutomationRule]:
    return [AutomationRule.model_validate(r) for r in automation.rules or []]


def environment(config: Mapping[str, Any], automation: Automation) -> cloudinary_admin.Environment:
    secret = crypto.decrypt(automation.api_secret_enc) if automation.api_secret_enc else ""
    return cloudinary_admin.Environment(automation.cloud_name, automation.api_key, secret,
                                        str(config.get("CLOUDINARY_API_ORIGIN") or "https://api.cloudinary.com"))


def read_current(env: cloudinary_admin.Environment, work: Work) -> dict[str, Mapping[str, Any]]:
    """asset_id -> the asset as Cloudinary has it now."""
    current = {str(r["asset_id"]): r for r in work.current if r.get("asset_id")}
    asset_ids = [str(r["asset_id"]) for r in work.refs if r.get("asset_id") and r["asset_id"] not in current]
    current.update(cloudinary_admin.resources_by_asset_ids(env, asset_ids))
    for ref in work.refs:
        if not ref.get("asset_id") and ref.get("public_id"):
            found = cloudinary_admin.resource(env, str(ref["public_id"]), str(ref.get("resource_type") or "image"),
                                              str(ref.get("type") or "upload"))
            if found is not None and found.get("asset_id"):
                current[str(found["asset_id"])] = found
    return current


def as_asset(resource: Mapping[str, Any]) -> dict[str, Any] | None:
    """A Cloudinary resource as a sync request's asset, or None when it can't be one."""
    context = resource.get("context") or {}
    if isinstance(context, Mapping) and isinstance(context.get("custom"), Mapping):
        context = context["custom"]
    version = resource.get("version")
    data = {"public_id": resource.get("public_id"), "resource_type": resource.get("resource_type") or "image",
            "type": resource.get("type") or "upload", "format": resource.get("format") or None,
            "version": version if isinstance(version, int) and not isinstance(version, bool) else None,
            "display_name": resource.get("display_name") if isinstance(resource.get("display_name"), str) else None,
            "tags": [t for t in resource.get("tags") or [] if isinstance(t, str)],
            "context": dict(context) if isinstance(context, Mapping) else {},
            "metadata": dict(resource.get("metadata") or {})}
    try:
        Asset.model_validate(data)
    except ValidationError:
        log.warning("asset %r can't be linked (not a valid asset); left out", resource.get("public_id"))
        return None
    return data


@dataclass
class Plan:
    """The batches to create: unlinks (product ids, public ids) and syncs (rule, assets)."""

    unlinks: list[tuple[list[str], list[str]]] = field(default_factory=list)
    syncs: list[tuple[AutomationRule, list[dict[str, Any]]]] = field(default_factory=list)
    kept: set[str] = field(default_factory=set)  # deleted assets left on their products (on_delete: keep)

    def __bool__(self) -> bool:
        return bool(self.unlinks or self.syncs)


def plan_relink(env: cloudinary_admin.Environment, shop_id: int, rules: list[AutomationRule], work: Work) -> Plan:
    """The batches that bring the groups `work` touches in step (reads Cloudinary and our records)."""
    current = read_current(env, work)
    mentioned = {str(r["public_id"]) for r in work.refs if r.get("public_id")} | set(work.gone)
    present = {str(r.get("public_id")) for r in current.values()}
    vanished = mentioned - present
    before = asset_links.linked(shop_id, env.cloud_name, public_ids=mentioned | present)
    searched: dict[str, set[str]] = {}            # field -> group values searched (normalised)
    members: dict[tuple[str, str], set[str]] = {}  # (field, group value) -> public IDs in that group now
    plan = Plan()
    for rule in rules:
        field_name = rule.match.cloudinary_field
        # Only groups of this rule's field: a value a link was made under by
        # another field (a tag, in a dialog sync by tag) is not a value of this one.
        groups = {link.group_value for link in before.values() if link.match_field == field_name}
        groups |= {v for r in current.values() if rule.follows(r) for v in rule.values_of(r)}
        groups |= {value for hinted, value in work.hints if hinted == field_name}
        groups |= work.groups.get(field_name, set())
        wanted = {norm(g) for g in groups}
        searched.setdefault(field_name, set()).update(wanted)
        found: dict[AssetRef, dict[str, Any]] = {}
        for resource in _fresh(cloudinary_admin.search_groups(env, field_name, groups), current, vanished):
            values = [v for v in rule.values_of(resource) if norm(v) in wanted]
            if not values or not rule.follows(resource) or (asset := as_asset(resource)) is None:
                continue
            found.setdefault((asset["resource_type"], asset["type"], asset["public_id"]), asset)
            for value in values:
                members.setdefault((field_name, norm(value)), set()).add(asset["public_id"])
        if found:
            plan.syncs += [(rule, chunk) for chunk in _chunks(rule, list(found.values()))]
    keep_deleted = bool(rules) and all(rule.on_delete == "keep" for rule in rules)
    stale: dict[str, set[str]] = {}
    every_group = set().union(*searched.values())
    for (product_id, public_id), link in asset_links.linked(shop_id, env.cloud_name, public_ids=mentioned,
                                                          group_values=every_group).items():
        if public_id in vanished:
            if keep_deleted:
                plan.kept.add(public_id)
                continue
        elif not left_its_group(link, public_id, searched, members):
            continue
        stale.setdefault(product_id, set()).add(public_id)
    by_ids: dict[frozenset[str], list[str]] = {}
    for product_id, public_ids in sorted(stale.items()):
        by_ids.setdefault(frozenset(public_ids), []).append(product_id)
    plan.unlinks = [(products, sorted(ids)) for ids, products in by_ids.items()]
    return plan


def left_its_group(link: asset_links.Linked, public_id: str, searched: Mapping[str, set[str]],
                   members: Mapping[tuple[str, str], set[str]]) -> bool:
    """Whether an asset still in Cloudinary is no longer in the group it was
    linked under (pure): judged only when that group was searched under the
    field the link was made by; a link of another field, or of an unknown
    one (made before links recorded it), is left alone."""
    field, group = link.match_field, norm(link.group_value)
    if field is None or group not in searched.get(field, set()):
        return False
    return public_id not in members.get((field, group), set())


def _fresh(found: Iterable[Mapping[str, Any]], current: Mapping[str, Mapping[str, Any]], vanished: set[str]
           ) -> Iterable[Mapping[str, Any]]:
    """Search results corrected by what the Admin API just said: the search
    index may lag behind an upload, a metadata change, a rename or a delete
    (UNCONFIRMED how long), the Admin API doesn't. A touched asset is taken
    as read now (and added when the index doesn't list it yet; the rule's
    filter and values then decide), and one that is gone is left out."""
    listed: set[str] = set()
    for resource in found:
        asset_id = str(resource.get("asset_id") or "")
        if asset_id in current:
            listed.add(asset_id)
            yield current[asset_id]
        elif str(resource.get("public_id")) not in vanished:
            yield resource
    yield from (resource for asset_id, resource in current.items() if asset_id not in listed)


def _chunks(rule: AutomationRule, assets: list[dict[str, Any]]) -> Iterable[list[dict[str, Any]]]:
    """Whole groups per sync, at most MAX_ASSETS assets each."""
    by_group: dict[str, list[dict[str, Any]]] = {}
    for asset in assets:
        values = rule.values_of(asset)
        by_group.setdefault(norm(values[0]) if values else "", []).append(asset)
    chunk: list[dict[str, Any]] = []
    for group in by_group.values():
        if chunk and len(chunk) + len(group) > MAX_ASSETS:
            yield chunk
            chunk = []
        chunk += group[:MAX_ASSETS]
    if chunk:
        yield chunk


# -- creating the batches ---------------------------------------------------------------------------

def base_settings(automation: Automation) -> Settings:
    credential = db.session.get(BridgeCredential, automation.credential_id) if automation.credential_id else None
    stored = {k: v for k, v in ((credential.settings if credential else None) or {}).items()
              if k in Settings.model_fields}
    try:
        return Settings.model_validate(stored)
    except ValidationError:
        return Settings()


def sync_request(rule: AutomationRule, assets: list[dict[str, Any]]) -> dict[str, Any]:
    return {"dry_run": False, "match": rule.match.model_dump(), "link_mode": rule.link_mode,
            "position": rule.position, "order_by": rule.order_by,
            "settings": rule.settings.model_dump(mode="json", exclude_unset=True),
            "variant_images": rule.variant_images, "assets": assets}


def create_batches(automation: Automation, plan: Plan, trigger: str) -> list[Sync]:
    """The plan's batches, queued (added to the session, not committed):
    unlinks first, then syncs, so a regrouped asset leaves before its new
    group is linked."""
    base = base_settings(automation)
    created: list[Sync] = []
    for product_ids, public_ids in plan.unlinks:
        created.append(_batch(automation, "unlink", {"product_ids": product_ids, "public_ids": public_ids},
                              base.model_dump(), "delete" if trigger == "upload" else trigger,
                              products_total=len(product_ids), assets_total=len(product_ids) * len(public_ids)))
    for rule, assets in plan.syncs:
        settings = rule.settings.apply_to(base).model_dump()
        created.append(_batch(automation, "sync", sync_request(rule, assets), settings, trigger))
    if created:
        automation.last_run_at = utcnow()
    return created


def _batch(automation: Automation, kind: str, request: dict[str, Any], settings: dict[str, Any], trigger: str,
           **counters: int) -> Sync:
    sync = batch_service.new_batch(shop_id=automation.shop_id, credential_id=automation.credential_id, kind=kind,
                                   dry_run=False, request=request, settings=settings,
                                   cloud_name=automation.cloud_name, created_at=utcnow(), **counters)
    db.session.add(sync)
    db.session.flush()
    db.session.add(AutomationRun(sync_id=sync.id, automation_id=automation.id, trigger=trigger))
    return sync
