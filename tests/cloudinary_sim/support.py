"""The local Cloudinary in a thread, driven with the real `cloudinary` SDK —
helpers and fixtures other test packages can import too:

    from tests.cloudinary_sim.support import csim, cld, receiver, sdk_secret  # fixtures
    from tests.cloudinary_sim.support import make_environment, start_csim, image_bytes


`csim` is one simulator per test session; `cld` is a fresh product
environment in it (unique cloud name, key and secret) with the SDK options
that reach it — exactly what the app passes: cloud_name, api_key, api_secret
and `upload_prefix=<CLOUDINARY_API_ORIGIN>`. `receiver` collects the
notifications the simulator sends."""
from __future__ import annotations

import io
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

import pytest
import requests
from PIL import Image
from werkzeug.wrappers import Request, Response

import cloudinary
import cloudinary_sim
from tests.server_thread import ServerThread

RETRY_SCALE = 0.001  # Cloudinary's 3/6/9 minute retries become 0.18/0.36/0.54 s


@dataclass
class CSim:
    base_url: str
    app: Any
    http: requests.Session = field(default_factory=requests.Session)

    def control(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.http.request(method, self.base_url + path, timeout=30, **kwargs)
        assert response.status_code < 400, f"{method} {path}: {response.status_code} {response.text[:300]}"
        return response.json() if response.content else None


@dataclass
class Cld:
    """One product environment and the SDK options that reach it."""
    sim: CSim
    cloud_name: str
    api_key: str
    api_secret: str

    @property
    def opts(self) -> dict[str, Any]:
        return {"cloud_name": self.cloud_name, "api_key": self.api_key, "api_secret": self.api_secret,
                "upload_prefix": self.sim.base_url}

    def delivery(self, url: str) -> str:
        """A res.cloudinary.com URL pointed at the simulator (one origin swap)."""
        return url.replace("https://res.cloudinary.com", self.sim.base_url).replace(
            "http://res.cloudinary.com", self.sim.base_url)

    def notifications(self) -> list[dict[str, Any]]:
        return self.sim.control("GET", f"/_sim/environments/{self.cloud_name}/notifications")["notifications"]

    def seed(self, *assets: dict[str, Any]) -> list[dict[str, Any]]:
        return self.sim.control("POST", f"/_sim/environments/{self.cloud_name}/assets",
                                json={"assets": list(assets)})["assets"]

    def add_field(self, external_id: str, kind: str = "string", **extra: Any) -> dict[str, Any]:
        import cloudinary.api
        return cloudinary.api.add_metadata_field({"external_id": external_id, "label": external_id, "type": kind,
                                                  **extra}, **self.opts)


def start_csim(**config: Any) -> tuple[CSim, ServerThread]:
    """A simulator of one's own, running; stop it with `stop_csim`."""
    app = cloudinary_sim.create_app({"SIM_NOTIFICATION_RETRY_SCALE": RETRY_SCALE, **config})
    server = ServerThread(app).start()
    return CSim(server.base_url, app), server


def stop_csim(sim: CSim, server: ServerThread) -> None:
    server.stop()
    cloudinary_sim.stop(sim.app)
    sim.http.close()


@pytest.fixture(scope="session")
def csim() -> Iterator[CSim]:
    sim, server = start_csim()
    try:
        yield sim
    finally:
        stop_csim(sim, server)


def make_environment(csim: CSim, **extra: Any) -> Cld:
    cloud = f"cld-{uuid.uuid4().hex[:10]}"
    key, secret = str(uuid.uuid4().int)[:15], uuid.uuid4().hex
    # The app must never log it; imported here, not at the top, because this
    # module loads before pytest registers tests.log_audit as a plugin.
    from tests import log_audit
    log_audit.add_secret(secret)
    csim.control("POST", "/_sim/environments", json={"cloud_name": cloud, "api_key": key, "api_secret": secret,
                                                     **extra})
    return Cld(csim, cloud, key, secret)


@pytest.fixture
def cld(csim: CSim) -> Cld:
    return make_environment(csim)


@pytest.fixture
def sdk_secret():
    """Set the SDK's global secret/algorithm (verify_notification_signature reads
    only the global config) and restore it afterwards."""
    def configure(secret: str, algorithm: str = "sha1") -> None:
        cloudinary.config(api_secret=secret, signature_algorithm=algorithm)
    yield configure
    cloudinary.reset_config()


@dataclass
class Received:
    body: bytes
    headers: dict[str, str]
    at: float


class Receiver:
    """An HTTP endpoint on 127.0.0.1 that records what it receives and answers
    with scripted statuses (200 once the script runs out)."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.statuses: list[int] = []
        self.lock = threading.Lock()
        self.server = ServerThread(self._wsgi)
        self.url = self.server.base_url + "/hook"

    def _wsgi(self, environ: Any, start_response: Callable) -> Any:
        request = Request(environ)
        with self.lock:
            self.received.append(Received(request.get_data(), dict(request.headers), time.time()))
            status = self.statuses.pop(0) if self.statuses else 200
        return Response("ok", status=status)(environ, start_response)

    def wait_for(self, count: int, timeout: float = 15.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.02)
        raise AssertionError(f"expected {count} notifications, got {len(self.received)}")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    hook = Receiver()
    hook.server.start()
    yield hook
    hook.server.stop()


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (320, 240), color: str = "red") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, fmt)
    return out.getvalue()


def video_bytes(seconds: float = 1.0, size: tuple[int, int] = (160, 96)) -> bytes:
    """A real H.264 MP4 made with PyAV (independent of the simulator's encoder)."""
    import av
    out = io.BytesIO()
    with av.open(out, "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        for index in range(int(seconds * 10)):
            frame = av.VideoFrame.from_image(Image.new("RGB", size, (index * 20 % 255, 80, 160)))
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return out.getvalue()
