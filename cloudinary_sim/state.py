"""What the simulated Cloudinary holds: product environments (one per cloud
name, with its API key and secret), their assets, structured metadata field
definitions, notification triggers and the notifications sent.

Plain data; every change goes through one environment's lock. Times are unix
seconds from `SimState.now()`, the simulator's clock (real time plus an offset
tests can advance).
"""
from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Optional

SIGNATURE_ALGORITHMS = ("sha1", "sha256")


def new_id() -> str:
    """Cloudinary's asset_id, version_id and trigger ids are 32 hex digits."""
    return uuid.uuid4().hex


@dataclass
class MetadataField:
    external_id: str
    type: str
    label: str
    mandatory: bool = False
    default_value: Any = None
    default_disabled: bool = False
    validation: Optional[dict[str, Any]] = None
    restrictions: dict[str, bool] = field(default_factory=lambda: {
        "readonly_ui": False, "hidden_ui": False, "excluded_from_search": False})
    datasource: Optional[dict[str, Any]] = None
    allow_dynamic_list_values: bool = False

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": self.type, "external_id": self.external_id, "label": self.label,
            "mandatory": self.mandatory, "default_value": self.default_value,
            "validation": self.validation, "default_disabled": self.default_disabled,
            "restrictions": dict(self.restrictions),
        }
        if self.type in ("enum", "set"):
            body["datasource"] = {"values": [dict(v) for v in (self.datasource or {}).get("values", [])]}
            body["allow_dynamic_list_values"] = self.allow_dynamic_list_values
        return body

    def option_ids(self) -> set[str]:
        values = (self.datasource or {}).get("values", [])
        return {v["external_id"] for v in values if v.get("state", "active") == "active"}


@dataclass
class Asset:
    """One stored original (an image, a video or a raw file)."""
    asset_id: str
    public_id: str
    resource_type: str
    type: str
    format: str
    version: int
    version_id: str
    created_at: float           # first upload of this public id
    uploaded_at: float          # this version's upload
    updated_at: float           # last change of anything (search's updated_at)
    bytes: int
    etag: str
    width: Optional[int] = None
    height: Optional[int] = None
    duration: Optional[float] = None
    tags: list[str] = field(default_factory=list)
    context: dict[str, str] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    display_name: str = ""
    asset_folder: str = ""
    original_filename: str = ""
    content: Optional[bytes] = None   # None: a generated stand-in (seeded assets)
    seed_color: Optional[str] = None  # colour of a generated stand-in

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.resource_type, self.type, self.public_id)

    @property
    def filename(self) -> str:
        return self.public_id.rsplit("/", 1)[-1]

    @property
    def folder(self) -> str:
        return self.public_id.rsplit("/", 1)[0] if "/" in self.public_id else ""


@dataclass
class Trigger:
    id: str
    uri: str
    event_type: str
    uri_type: str
    created_at: float
    updated_at: float


@dataclass
class Notification:
    """One notification to one URL, as sent (or to be sent)."""
    id: str
    notification_type: str
    url: str
    origin: str                    # "notification_url" or "trigger:<id>"
    body: bytes
    timestamp: int
    signature: str
    algorithm: str
    created_at: float
    next_attempt_at: float
    status: str = "pending"        # pending | held | delivered | failed | dropped
    attempts: list[dict[str, Any]] = field(default_factory=list)
    in_flight: bool = False

    @property
    def headers(self) -> dict[str, str]:
        return {"Content-Type": "application/json", "X-Cld-Timestamp": str(self.timestamp),
                "X-Cld-Signature": self.signature}


@dataclass
class Environment:
    cloud_name: str
    api_key: str
    api_secret: str
    signature_algorithm: str = "sha1"
    assets: dict[tuple[str, str, str], Asset] = field(default_factory=dict)
    metadata_fields: dict[str, MetadataField] = field(default_factory=dict)
    triggers: dict[str, Trigger] = field(default_factory=dict)
    notifications: list[Notification] = field(default_factory=list)
    notification_faults: list[dict[str, Any]] = field(default_factory=list)
    # Delivery-URL failures injected by tests: {"match", "status", "count"}.
    delivery_faults: list[dict[str, Any]] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.RLock = field(default_factory=threading.RLock)

    def by_asset_id(self, asset_id: str) -> Optional[Asset]:
        return next((a for a in self.assets.values() if a.asset_id == asset_id), None)

    def as_json(self) -> dict[str, Any]:
        return {"cloud_name": self.cloud_name, "api_key": self.api_key,
                "signature_algorithm": self.signature_algorithm, "assets": len(self.assets),
                "metadata_fields": len(self.metadata_fields), "triggers": len(self.triggers),
                "notifications": len(self.notifications)}


class SimState:
    def __init__(self) -> None:
        self.environments: dict[str, Environment] = {}
        self.clock_offset = 0.0
        self.lock = threading.RLock()
        # Set by the app factory: wakes the delivery thread.
        self.wakeup = threading.Event()

    def now(self) -> float:
        return time.time() + self.clock_offset

    def environment(self, cloud_name: str) -> Optional[Environment]:
        return self.environments.get(cloud_name)
