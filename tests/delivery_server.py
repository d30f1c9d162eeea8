"""A local stand-in for Cloudinary's delivery host (res.cloudinary.com), so the
Shopify simulator's downloads of the sources the app sends succeed or fail as
they would against Cloudinary, without the internet.

It answers a well-formed delivery path, `/<cloud>/<resource_type>/<type>/…/<name>.<ext>`
(cloud name, resource type image|video|raw, a delivery type), with a generated
file of the type the extension names (shopify_sim.standin: real images, a
minimal MP4); anything else, e.g. `//image/upload/…` from an empty cloud name,
is a 404, as Cloudinary answers. `remove(prefix)` makes every path under a
prefix 404 (assets that are not there). Every simulator the tests start maps
`https://res.cloudinary.com` here (tests/simulator_fixture.py).
"""
from __future__ import annotations

import atexit
import re
import threading
from typing import Optional

from shopify_sim import standin
from tests.server_thread import ServerThread

CLOUDINARY_ORIGIN = "https://res.cloudinary.com"
# Cloudinary's delivery URL: /<cloud_name>/<resource_type>/<type>/[<transformations>/][v<version>/]<public_id>.<ext>
DELIVERY_PATH = re.compile(r"^/(?P<cloud>[A-Za-z0-9_-]+)/(?P<resource_type>image|video|raw)/"
                           r"(?P<type>upload|private|authenticated|fetch|list)/(?P<rest>.+)$")


class DeliveryServer:
    """`cloudinary=False` serves any path by shopify_sim.standin's rule (a
    generic static host, for the simulator's own tests)."""

    def __init__(self, *, cloudinary: bool = True) -> None:
        self.cloudinary = cloudinary
        self._removed: set[str] = set()
        self._lock = threading.Lock()
        self.paths: list[str] = []  # what was fetched, in order
        self.server = ServerThread(standin.wsgi_app(self.resolve), request_handler=standin.RawPathHandler).start()
        self.base_url = self.server.base_url

    def resolve(self, path: str) -> Optional[tuple[str, bytes]]:
        with self._lock:
            self.paths.append(path)
            if any(path.startswith(prefix) for prefix in self._removed):
                return None
        if self.cloudinary and DELIVERY_PATH.match(path) is None:
            return None
        return standin.content(path)

    def remove(self, prefix: str) -> None:
        """Paths starting with `prefix` (e.g. "/acme-cloud/image/upload/") answer 404 from now on."""
        with self._lock:
            self._removed.add(prefix)

    def stop(self) -> None:
        self.server.stop()


_shared: dict[bool, DeliveryServer] = {}
_shared_lock = threading.Lock()


def shared_delivery(*, cloudinary: bool = True) -> DeliveryServer:
    """The test process's delivery server (started on first use, stopped at exit)."""
    with _shared_lock:
        if cloudinary not in _shared:
            server = _shared[cloudinary] = DeliveryServer(cloudinary=cloudinary)
            atexit.register(server.stop)
        return _shared[cloudinary]


def fetch_origins() -> dict[str, str]:
    """SIM_FETCH_ORIGINS for a simulator in the tests: Cloudinary's delivery host is served locally."""
    return {CLOUDINARY_ORIGIN: shared_delivery().base_url}
