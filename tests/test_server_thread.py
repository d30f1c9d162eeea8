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


def test_stop_waits_for_a_request_still_being_served():
    """A request running when its test ends must end before the test's teardown
    disposes what it uses (the database engine): a pooled connection returned
    after that is dropped open and fails a later test."""
    started, release, finished = threading.Event(), threading.Event(), threading.Event()

    def app(environ, start_response):
        started.set()
        release.wait(5)
        finished.set()
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"late"]

    server = ServerThread(app).start()
    client = threading.Thread(target=lambda: _get(server.base_url), daemon=True)
    client.start()
    assert started.wait(5)
    # Longer than serve_forever takes to notice shutdown() (it polls every 0.5 s).
    threading.Timer(1.5, release.set).start()
    server.stop()
    assert finished.is_set(), "stop() returned while a request was still being served"


def test_stop_ends_idle_connections_at_once():
    """A browser keeps connections open between requests and opens some it
    never uses; stop() must not wait for the client to close them."""
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
        return [b"ok"]

    server = ServerThread(app).start()
    host, port = server.base_url.removeprefix("http://").split(":")
    kept_alive = socket.create_connection((host, int(port)))
    kept_alive.sendall(b"GET / HTTP/1.1\r\nHost: test\r\n\r\n")
    assert kept_alive.recv(1024).startswith(b"HTTP/1.1 200")
    never_used = socket.create_connection((host, int(port)))
    time.sleep(0.1)  # both connections are being served by their threads
    try:
        server.requests.end(timeout=5)  # raises if a thread is still waiting on its client
        server.stop()
    finally:
        kept_alive.close()
        never_used.close()


def _get(base_url: str) -> None:
    import urllib.request
    try:
        with urllib.request.urlopen(base_url, timeout=10) as response:
            response.read()
    except OSError:
        pass
