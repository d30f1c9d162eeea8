"""Connection codes, connection tokens and API keys: issue, redeem, verify, revoke.

The Settings page and the bridge share these rules, so they live in one place.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import select, update

from . import crypto
from .extensions import db
from .models import BridgeCredential, ConnectionCode, Shop, utcnow

CODE_PREFIX = "alc_"
TOKEN_PREFIX = "alt_"
API_KEY_PREFIX = "alk_"
SIGNING_SECRET_PREFIX = "als_"
# The prefix "alk_" plus 8 random characters: enough to tell keys apart in
# the list, far too little to guess the rest (the full key has 192 bits).
DISPLAY_PREFIX_LENGTH = 12


def _live_code(shop_id: int) -> ConnectionCode | None:
    return db.session.scalar(
        select(ConnectionCode).where(ConnectionCode.shop_id == shop_id, ConnectionCode.ended_at.is_(None))
        .order_by(ConnectionCode.id.desc()).limit(1))


def _lock_codes(shop_id: int) -> None:
    """Serialise the store's code changes on its row: two first page loads at
    once would otherwise each issue a code, leaving two live ones."""
    db.session.execute(select(Shop.id).where(Shop.id == shop_id).with_for_update())


def current_code(shop: Shop) -> str:
    """The shop's live connection code, issuing one if it has none."""
    row = _live_code(shop.id)
    if row is None:
        _lock_codes(shop.id)
        row = _live_code(shop.id) or _issue_code(shop)
        db.session.commit()
    return crypto.derive_code(row.nonce, CODE_PREFIX)


def regenerate_code(shop: Shop) -> str:
    _lock_codes(shop.id)
    _end_codes(shop.id, "regenerated")
    row = _issue_code(shop)
    db.session.commit()
    return crypto.derive_code(row.nonce, CODE_PREFIX)


def _issue_code(shop: Shop) -> ConnectionCode:
    nonce = secrets.token_hex(16)
    row = ConnectionCode(shop_id=shop.id, nonce=nonce,
                         code_hash=crypto.hash_secret(crypto.derive_code(nonce, CODE_PREFIX)))
    db.session.add(row)
    db.session.flush()
    return row


def _end_codes(shop_id: int, reason: str) -> None:
    db.session.execute(update(ConnectionCode)
                       .where(ConnectionCode.shop_id == shop_id, ConnectionCode.ended_at.is_(None))
                       .values(ended_at=utcnow(), end_reason=reason))


@dataclass(frozen=True)
class IssuedCredential:
    credential: BridgeCredential
    token: str
    signing_secret: str | None


def redeem_code(code: str, cloud_name: str | None, label: str | None) -> IssuedCredential | None:
    """Exchange a live code for a connection token; None if the code is not live.

    The code is ended in the same UPDATE that claims it, so two concurrent
    redemptions can't both succeed. A fresh code is issued for the page.
    """
    code_hash = crypto.hash_secret(code or "")
    claimed = db.session.execute(
        update(ConnectionCode)
        .where(ConnectionCode.code_hash == code_hash, ConnectionCode.ended_at.is_(None))
        .values(ended_at=utcnow(), end_reason="used")
        .returning(ConnectionCode.shop_id)).first()
    if claimed is None:
        db.session.rollback()
        return None
    shop = db.session.get(Shop, claimed.shop_id)
    if shop is None or not shop.is_installed:
        db.session.rollback()
        return None
    issued = _issue_credential(shop, "connection", label=label, cloud_name=cloud_name)
    _issue_code(shop)
    db.session.commit()
    return issued


def store_of_ended_code(code: str) -> int | None:
    """The shop whose used, regenerated or uninstalled code this is; None for
    a code that never existed (or is still live)."""
    return db.session.scalar(select(ConnectionCode.shop_id).where(
        ConnectionCode.code_hash == crypto.hash_secret(code or ""), ConnectionCode.ended_at.is_not(None)))


def delivery_cloud_name(credential: BridgeCredential) -> str | None:
    """The Cloudinary environment a credential's syncs and uploads deliver from.

    A connection names its own (from POST /connect), an API key the one chosen
    when it was made. A key made without one (none or several connected then)
    uses the store's connected environment when there is exactly one, and None
    otherwise (zero or several to choose from);
    without this an API key's syncs built delivery URLs with an empty cloud name
    (https://res.cloudinary.com//image/upload/...), which Shopify cannot download."""
    if credential.cloud_name:
        return credential.cloud_name
    names = connected_cloud_names(credential.shop_id)
    return names[0] if len(names) == 1 else None


def connected_cloud_names(shop_id: int) -> list[str]:
    """The distinct cloud names of the store's live connections."""
    return sorted({c.cloud_name for c in list_credentials(shop_id, "connection") if c.cloud_name})


def create_api_key(shop: Shop, label: str, cloud_name: str | None = None) -> IssuedCredential:
    """A key for the store's automation, delivering from `cloud_name` (one of
    the store's connected environments, chosen when the key is made)."""
    issued = _issue_credential(shop, "api_key", label=label, cloud_name=cloud_name)
    db.session.commit()
    return issued


def _issue_credential(shop: Shop, kind: str, *, label: str | None, cloud_name: str | None) -> IssuedCredential:
    token = crypto.new_secret(TOKEN_PREFIX if kind == "connection" else API_KEY_PREFIX)
    signing_secret = crypto.new_secret(SIGNING_SECRET_PREFIX)
    credential = BridgeCredential(
        shop_id=shop.id, kind=kind, label=label, cloud_name=cloud_name,
        token_hash=crypto.hash_secret(token), prefix=token[:DISPLAY_PREFIX_LENGTH],
        signing_secret_enc=crypto.encrypt(signing_secret), settings={})
    db.session.add(credential)
    db.session.flush()
    return IssuedCredential(credential, token, signing_secret)


def authenticate(token: str | None) -> BridgeCredential | None:
    """The live credential for a bearer token, its shop installed; else None.

    Lookup is by SHA-256 of the token (an index seek, no timing signal about
    the stored value); the hash is then compared again in constant time.
    """
    if not token:
        return None
    token_hash = crypto.hash_secret(token)
    credential = db.session.scalar(
        select(BridgeCredential).where(BridgeCredential.token_hash == token_hash,
                                       BridgeCredential.revoked_at.is_(None)))
    if credential is None or not crypto.secrets_equal(credential.token_hash, token_hash):
        return None
    if not credential.shop.is_installed:
        return None
    return credential


def touch(credential: BridgeCredential) -> None:
    credential.last_used_at = utcnow()


def revoke(credential: BridgeCredential) -> None:
    credential.revoked_at = utcnow()


def revoke_all(shop_id: int) -> None:
    """Uninstall: every code, connection and API key of the shop stops working."""
    now = utcnow()
    db.session.execute(update(BridgeCredential)
                       .where(BridgeCredential.shop_id == shop_id, BridgeCredential.revoked_at.is_(None))
                       .values(revoked_at=now))
    _end_codes(shop_id, "uninstalled")


def list_credentials(shop_id: int, kind: str) -> list[BridgeCredential]:
    return list(db.session.scalars(
        select(BridgeCredential).where(BridgeCredential.shop_id == shop_id, BridgeCredential.kind == kind,
                                       BridgeCredential.revoked_at.is_(None))
        .order_by(BridgeCredential.created_at.desc())))
