"""The test server closes a response whose client hung up mid-request (PEP 3333),
so a browser closing a page while a static file is served leaks no file."""
from __future__ import annotations

import socket
import threading
import time

from tests.server_thread import ServerThread


class _Body:
    """A response body that records whether the server closed it."""

    def __init__(self) -> None:
        self.closed = threading.Event()

    def __iter__(self):
        yield b"done"

    def close(self) -> None:
        self.closed.set()


def _hang_up_before_sending_the_body(base_url: str) -> None:
    """Announce a body, send none, and close just after the answer starts: the
    unread rest of the answer makes the kernel reset the connection while
    Werkzeug, done writing, drains the request body it is still waiting for."""
    host, port = base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as client:
        client.sendall(b"POST / HTTP/1.1\r\nHost: test\r\nContent-Length: 100000\r\n\r\n")
        client.recv(1)
        time.sleep(0.002)


def test_a_response_is_closed_when_the_client_resets_the_connection():
    bodies: list[_Body] = []

    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        bodies.append(_Body())
        return bodies[-1]

    with ServerThread(app) as server:
        for _ in range(3):
            _hang_up_before_sending_the_body(server.base_url)
        for body in bodies:
            assert body.closed.wait(5), "a response was left open after its client reset the connection"
    assert len(bodies) == 3
