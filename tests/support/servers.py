"""WSGI apps served over real HTTP on loopback, each on an ephemeral port in a thread."""

import threading

from werkzeug.serving import make_server

# shutdown() waits for serve_forever's next poll: the default half second, paid by every
# test that stops a server, added up to minutes.
POLL_SECONDS = 0.05


class ThreadedServer:
    def __init__(self, app, host: str = "127.0.0.1", **options):
        self._serve(make_server(host, 0, app, threaded=True, **options))

    def _serve(self, server) -> None:
        self.server = server
        self.port = server.server_port
        self._thread = threading.Thread(target=server.serve_forever,
                                        kwargs={"poll_interval": POLL_SECONDS}, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self._thread.join(timeout=10)
        self.server.server_close()
