"""The one way tests serve a WSGI app over real HTTP: `ServerThread` on
127.0.0.1 on a free port, in a daemon thread, stopped by its owner. The
`server` fixture (tests/conftest.py) serves the app under test this way."""
from __future__ import annotations

import threading
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
