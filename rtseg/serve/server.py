"""The HTTP server: exactly five routes, optional token, MJPEG streaming on its own threads."""

from __future__ import annotations

import json
import logging
import socket
import sys
import threading
from collections.abc import Callable, Mapping
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import MappingProxyType
from typing import Any

from rtseg.errors import RtsegError
from rtseg.serve.auth import authorized
from rtseg.serve.frames import FrameHub
from rtseg.serve.metrics import CONTENT_TYPE as METRICS_TYPE
from rtseg.serve.metrics import render_metrics
from rtseg.serve.page import PAGE

logger = logging.getLogger(__name__)

KEEPALIVE_S = 5.0  # an idle stream repeats its frame this often, so gone viewers are noticed
SHUTDOWN_POLL_S = 0.1  # how often the accept loop checks for close()
SOCKET_TIMEOUT_S = 30.0  # a viewer that stops reading (or an idle connection) is dropped after
OPEN_ROUTES = frozenset({"/healthz"})  # served without the token: liveness probes carry none
DISCONNECTS = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError)
HEADERS: Mapping[str, str] = MappingProxyType(  # on every response
    {
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",  # the token may be in the URL
        "Content-Security-Policy": "default-src 'none'; img-src 'self'; connect-src 'self'; "
        "script-src 'unsafe-inline'; style-src 'unsafe-inline'",
    }
)

ROUTES: Mapping[str, str] = MappingProxyType(  # path -> LiveHandler method
    {
        "/": "send_page",
        "/stream.mjpg": "send_stream",
        "/api/status": "send_status",
        "/metrics": "send_metrics",
        "/healthz": "send_health",
    }
)

StatusFn = Callable[[], Mapping[str, Any]]


class LiveHandler(BaseHTTPRequestHandler):
    """Serves GET on ``ROUTES``; every other path is 404, with or without token.

    The path is matched exactly after splitting off the query string: nothing is normalised,
    decoded or looked up on disk.
    """

    server: LiveHTTPServer
    protocol_version = "HTTP/1.1"
    timeout = SOCKET_TIMEOUT_S

    def do_GET(self) -> None:
        # the target as sent: self.path has had leading "//" collapsed by the stdlib
        path, _, query = self.requestline.split()[1].partition("?")
        route = ROUTES.get(path)
        if route is None:
            self.send_body(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain; charset=utf-8")
        elif path not in OPEN_ROUTES and not authorized(
            self.server.token, self.headers.get("Authorization"), query
        ):
            self.send_body(
                HTTPStatus.UNAUTHORIZED,
                b"missing or wrong token\n",
                "text/plain; charset=utf-8",
                {"WWW-Authenticate": 'Bearer realm="rtseg"'},
            )
        else:
            getattr(self, route)()

    def send_page(self) -> None:
        self.send_body(HTTPStatus.OK, PAGE.encode(), "text/html; charset=utf-8")

    def send_status(self) -> None:
        body = json.dumps(dict(self.server.status())).encode()
        self.send_body(HTTPStatus.OK, body, "application/json")

    def send_metrics(self) -> None:
        self.send_body(HTTPStatus.OK, render_metrics(self.server.status()).encode(), METRICS_TYPE)

    def send_health(self) -> None:
        self.send_body(HTTPStatus.OK, b"ok\n", "text/plain; charset=utf-8")

    def send_stream(self) -> None:
        """multipart/x-mixed-replace JPEGs until the viewer leaves or the server closes."""
        hub = self.server.hub
        self.close_connection = True
        self.send_response(HTTPStatus.OK)
        self.send_headers("multipart/x-mixed-replace; boundary=frame", {"Connection": "close"})
        seq = 0
        with hub.viewer():
            while not hub.closed:
                item = hub.next_jpeg(seq, timeout=KEEPALIVE_S)
                if item is not None:
                    seq, jpeg = item
                    head = f"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: {len(jpeg)}"
                    self.wfile.write(head.encode() + b"\r\n\r\n" + jpeg + b"\r\n")

    def send_body(
        self,
        status: HTTPStatus,
        body: bytes,
        content_type: str,
        extra: Mapping[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_headers(content_type, {"Content-Length": str(len(body)), **(extra or {})})
        self.wfile.write(body)

    def send_headers(self, content_type: str, extra: Mapping[str, str]) -> None:
        for name, value in {"Content-Type": content_type, **HEADERS, **extra}.items():
            self.send_header(name, value)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        """Per-request lines go to the debug log, not stderr."""
        logger.debug("%s - " + format, self.address_string(), *args)


class LiveHTTPServer(ThreadingHTTPServer):
    """Binds ``(host, port)`` (IPv4 or IPv6); one daemon thread per connection."""

    daemon_threads = True
    block_on_close = False  # close() must not wait for viewers stuck on a slow network

    def __init__(
        self, host: str, port: int, hub: FrameHub, status: StatusFn, token: str | None
    ) -> None:
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.hub = hub
        self.status = status
        self.token = token
        try:
            super().__init__((host, port), LiveHandler)
        except OSError as exc:  # socket.gaierror included
            raise RtsegError(f"cannot serve on {host}:{port}: {exc.strerror or exc}") from exc
        self._thread = threading.Thread(
            target=self.serve_forever, args=(SHUTDOWN_POLL_S,), name="rtseg-live-view", daemon=True
        )
        self._thread.start()

    @property
    def url(self) -> str:
        """``http://host:port/`` with the port actually bound (useful with port 0)."""
        host, port = self.server_address[:2]
        return f"http://[{host}]:{port}/" if ":" in str(host) else f"http://{host}:{port}/"

    def close(self) -> None:
        """Release the viewers, stop accepting and close the socket; idempotent."""
        self.hub.close()
        if self._thread.is_alive():
            self.shutdown()
            self._thread.join()
        self.server_close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A viewer going away is normal (debug log); anything else is logged with its trace."""
        error = sys.exc_info()[1]
        if isinstance(error, DISCONNECTS):
            logger.debug("viewer %s went away: %s", client_address, error)
        else:
            logger.exception("live view request from %s failed", client_address)
