"""Encryption at rest, bearer-secret generation and hashing.

One place for every secret the app makes or keeps, so the rules (>=128 bits of
randomness, hashes only, constant-time comparison) are applied once.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app

SECRET_BYTES = 24  # 192 bits: comfortably over the contract's 128.


def _fernet() -> MultiFernet:
    # TOKEN_ENCRYPTION_KEY may list several comma-separated Fernet keys: the
    # first encrypts, all decrypt, so keys can be rotated without downtime.
    keys = [k.strip() for k in current_app.config["TOKEN_ENCRYPTION_KEY"].split(",") if k.strip()]
    return MultiFernet([Fernet(k) for k in keys])


def encrypt(plaintext: str) -> str:
    return _fernet().encrypt(plaintext.encode()).decode()


def decrypt(ciphertext: str) -> str:
    try:
        return _fernet().decrypt(ciphertext.encode()).decode()
    except InvalidToken as exc:  # wrong or rotated-out key
        raise ValueError("stored secret can't be decrypted with TOKEN_ENCRYPTION_KEY") from exc


def generate_key() -> str:
    """A new TOKEN_ENCRYPTION_KEY value."""
    return Fernet.generate_key().decode()


def new_secret(prefix: str) -> str:
    """A bearer secret such as `alk_...`; the prefix says what it is when leaked."""
    return prefix + secrets.token_urlsafe(SECRET_BYTES)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def secrets_equal(a: str | bytes, b: str | bytes) -> bool:
    if isinstance(a, str):
        a = a.encode()
    if isinstance(b, str):
        b = b.encode()
    return hmac.compare_digest(a, b)


def derive_code(nonce: str, prefix: str = "alc_") -> str:
    """Rebuild a connection code from its stored nonce (see ConnectionCode)."""
    key = current_app.config["TOKEN_ENCRYPTION_KEY"].split(",")[0].strip().encode()
    digest = hmac.new(key, b"connection-code:" + nonce.encode(), hashlib.sha256).digest()
    return prefix + base64.urlsafe_b64encode(digest[:SECRET_BYTES]).decode().rstrip("=")


def reencrypt(ciphertext: str) -> str:
    """`ciphertext` encrypted again under the first TOKEN_ENCRYPTION_KEY (key
    rotation; MultiFernet.rotate keeps the original timestamp)."""
    try:
        return _fernet().rotate(ciphertext.encode()).decode()
    except InvalidToken as exc:
        raise ValueError("stored secret can't be decrypted with TOKEN_ENCRYPTION_KEY") from exc
