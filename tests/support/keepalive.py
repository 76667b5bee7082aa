"""A threaded WSGI server on loopback that keeps HTTP/1.1 connections alive, for the grade
tests and `bench.grades`.

werkzeug's development server answers every request with `Connection: close` whatever its
`protocol_version` (it cannot drain a request body without reading the next request), so a
client pays a new TCP connection per request. This one reads exactly `Content-Length` bytes
of body, buffers the answer to send its length, and serves the next request on the same
connection. Enough for JSON services and simple pages: no chunked request bodies, no
streaming answers.
"""

import logging
import socket
import sys
import threading
from io import BytesIO
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

from tests.support.servers import ThreadedServer

log = logging.getLogger(__name__)

IDLE_SECONDS = 30  # an idle connection is closed after this long


class KeepAliveHandler(WSGIRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = IDLE_SECONDS
    # Headers and body are written separately: with Nagle's algorithm the body would wait
    # for the client's delayed ACK (40 ms a request).
    disable_nagle_algorithm = True

    def handle(self) -> None:
        self.server.opened(self.connection)
        try:
            self.close_connection = True
            self.handle_one_request()
            while not self.close_connection:
                self.handle_one_request()
        finally:
            self.server.closed(self.connection)

    def handle_one_request(self) -> None:
        try:
            self.raw_requestline = self.rfile.readline(65537)
        except (TimeoutError, ConnectionError):
            self.close_connection = True
            return
        if not self.raw_requestline:
            self.close_connection = True
            return
        if not self.parse_request():  # answered with an error; sets close_connection
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        status, headers, answer = self._call(self._environ(body))
        try:
            self._send(status, headers, answer)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timed out)
            self.close_connection = True

    def _environ(self, body: bytes) -> dict:
        environ = self.get_environ()
        environ.update({
            "wsgi.input": BytesIO(body), "wsgi.errors": sys.stderr, "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http", "wsgi.multithread": True, "wsgi.multiprocess": False,
            "wsgi.run_once": False, "CONTENT_LENGTH": str(len(body)),
        })
        return environ

    def _call(self, environ: dict) -> tuple[str, list[tuple[str, str]], bytes]:
        started: dict = {}

        def start_response(status, headers, exc_info=None):
            started["status"], started["headers"] = status, headers
            return lambda data: started.setdefault("written", []).append(data)

        try:
            result = self.server.get_app()(environ, start_response)
            try:
                answer = b"".join([*started.get("written", []), *result])
            finally:
                getattr(result, "close", lambda: None)()
        except Exception:  # the app's bug: answer 500 and say so in the test log
            log.exception("keep-alive server: the application failed")
            self.close_connection = True
            return "500 Internal Server Error", [("Content-Type", "text/plain")], b"error"
        return started["status"], started["headers"], answer

    def _send(self, status: str, headers: list[tuple[str, str]], answer: bytes) -> None:
        code, _, reason = status.partition(" ")
        self.send_response_only(int(code), reason)
        for name, value in headers:
            if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(answer)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(answer)
        self.wfile.flush()

    def log_message(self, format, *args) -> None:  # noqa: A002 - the base class's name
        pass  # one line per request would bury the test output


class KeepAliveServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True

    def __init__(self, address, handler):
        super().__init__(address, handler)
        self._connections: set[socket.socket] = set()
        self._lock = threading.Lock()

    def opened(self, connection: socket.socket) -> None:
        with self._lock:
            self._connections.add(connection)

    def closed(self, connection: socket.socket) -> None:
        with self._lock:
            self._connections.discard(connection)

    def server_close(self) -> None:
        self.close_connections()
        super().server_close()

    def close_connections(self) -> None:
        """Hang up on idle keep-alive clients, so their threads end with the server."""
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class KeepAliveWSGIServer(ThreadedServer):
    """`app` served on an ephemeral loopback port in a thread; `close()` stops it."""

    def __init__(self, app, host: str = "127.0.0.1"):
        server = KeepAliveServer((host, 0), KeepAliveHandler)
        server.set_app(app)
        self._serve(server)
