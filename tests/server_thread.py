"""The one way tests serve a WSGI app over real HTTP: `ServerThread` on
127.0.0.1 on a free port, in a daemon thread, stopped by its owner. The
`server` fixture (tests/conftest.py) serves the app under test this way."""
from __future__ import annotations

import socket
import threading
import time
from typing import Any

from werkzeug.serving import WSGIRequestHandler, make_server

_RESPONSE_KEY = "tests.server_thread.response"


def _remembering_response(wsgi_app: Any) -> Any:
    """The app, with its response iterable kept in the environ so the handler can close it."""
    def app(environ: dict, start_response: Any) -> Any:
        response = wsgi_app(environ, start_response)
        environ[_RESPONSE_KEY] = response
        return response
    return app


class _RequestThreads:
    """The server's request threads and their sockets, so `stop()` can wait for them.

    Werkzeug serves each connection in a daemon thread that nothing joins: a
    request still running when its test ends (a browser context closed
    mid-poll) went on using the app after the test's teardown had disposed
    the database engine, and its pooled connection was then dropped open,
    which pytest reported against whichever test ran next. Threads are
    registered in the serving loop, before they start, so none is missed."""

    def __init__(self, server: Any) -> None:
        self._server = server
        self._lock = threading.Lock()
        self._running: dict[threading.Thread, socket.socket] = {}

    def process_request(self, request: socket.socket, client_address: Any) -> None:
        """socketserver.ThreadingMixIn.process_request, with the thread registered."""
        thread = threading.Thread(target=self._serve, args=(request, client_address), daemon=True,
                                  name=f"request-{client_address[1]}")
        with self._lock:
            self._running[thread] = request
        thread.start()

    def _serve(self, request: socket.socket, client_address: Any) -> None:
        try:
            self._server.process_request_thread(request, client_address)
        finally:
            with self._lock:
                self._running.pop(threading.current_thread(), None)

    def end(self, timeout: float) -> None:
        """Stop reading from every connection (an idle keep-alive one then sees
        the client's end at once; a request being served finishes first) and
        wait for their threads."""
        with self._lock:
            running = dict(self._running)
        for connection in running.values():
            try:
                connection.shutdown(socket.SHUT_RD)
            except OSError:  # the client has closed it already
                pass
        deadline = time.monotonic() + timeout
        for thread in running:
            thread.join(max(0.0, deadline - time.monotonic()))
        stuck = [thread.name for thread in running if thread.is_alive()]
        if stuck:
            raise RuntimeError(f"requests still running {timeout:g} s after the server stopped: {stuck}")


def _closing_handler(base: type[WSGIRequestHandler]) -> type[WSGIRequestHandler]:
    """`base`, closing every response once the request is over, however it ended.

    Werkzeug's run_wsgi closes the response in a `finally` that first drains
    what the client still sends; when the client resets the connection during
    that drain (a browser context closing mid-request), the read raises and
    `close()` is skipped, so a served static file is left to the garbage
    collector and pytest's unraisable-exception check fails whichever test
    runs next. PEP 3333: the server must call close() on the iterable "upon
    completion of the current request", whether it completed normally or
    early. Closing twice is harmless (files and generators ignore it)."""
    def run_wsgi(self: WSGIRequestHandler) -> None:
        try:
            base.run_wsgi(self)
        finally:
            response = getattr(self, "environ", {}).pop(_RESPONSE_KEY, None)
            if response is not None and hasattr(response, "close"):
                response.close()

    return type(f"Closing{base.__name__}", (base,), {"run_wsgi": run_wsgi})


class ServerThread:
    """A WSGI app served on 127.0.0.1 on a free port, in a daemon thread."""

    def __init__(self, wsgi_app: Any, request_handler: type[WSGIRequestHandler] | None = None) -> None:
        handler = _closing_handler(request_handler or WSGIRequestHandler)
        self.server = make_server("127.0.0.1", 0, _remembering_response(wsgi_app), threaded=True,
                                  request_handler=handler)
        self.requests = _RequestThreads(self.server)
        self.server.process_request = self.requests.process_request
        self.port = self.server.server_port
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, name=f"server-{self.port}", daemon=True)

    def start(self) -> "ServerThread":
        self.thread.start()
        return self

    def stop(self) -> None:
        """Stop accepting, then wait until every request being served has ended."""
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)
        self.requests.end(timeout=30)

    def __enter__(self) -> "ServerThread":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
