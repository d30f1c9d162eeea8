"""The one way tests serve a WSGI app over real HTTP: `ServerThread` on
127.0.0.1 on a free port, in a daemon thread, stopped by its owner. The
`server` fixture serves the app under test and yields its base URL."""
from __future__ import annotations

import threading
from typing import Any, Iterator

import pytest
from werkzeug.serving import make_server


class ServerThread:
    """A WSGI app served on 127.0.0.1 on a free port, in a daemon thread."""

    def __init__(self, wsgi_app: Any) -> None:
        self.server = make_server("127.0.0.1", 0, wsgi_app, threaded=True)
        self.port = self.server.server_port
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, name=f"server-{self.port}", daemon=True)

    def start(self) -> "ServerThread":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)

    def __enter__(self) -> "ServerThread":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


@pytest.fixture
def server(app) -> Iterator[str]:
    """The app under test served over real HTTP (browsers, the bridge client); its base URL."""
    with ServerThread(app) as thread:
        yield thread.base_url
