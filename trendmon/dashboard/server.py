"""Serving the app: a threaded WSGI server, so that each open ``/stream`` has its own thread.

Werkzeug's threaded server answers every request on a new thread; a wall's Server-Sent Events
stream keeps one thread for as long as the page is open, and the other requests never wait for
it. (A fixed-size pool such as waitress's would be used up by a few open walls.)
"""

from __future__ import annotations

import logging
import socket
import threading
from types import TracebackType

from dash import Dash
from werkzeug.serving import BaseWSGIServer, make_server

from trendmon.accounts.store import AccountStore
from trendmon.dashboard.data import DashboardData
from trendmon.dashboard.push import Stream
from trendmon.errors import ConfigError


class DashboardServer:
    """The app served on ``host:port`` from a background thread (port 0: a free one).

    >>> with DashboardServer(create_app(), "127.0.0.1", 0) as server:  # doctest: +SKIP
    ...     print(server.url)
    http://127.0.0.1:40123
    """

    def __init__(self, app: Dash, host: str = "127.0.0.1", port: int = 8050) -> None:
        self.app = app
        try:
            # Werkzeug reports a taken port by printing and calling sys.exit; bind first so
            # that it is one clear error, and the stores the app opened get closed.
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                probe.bind((host, port))
            self._server: BaseWSGIServer = make_server(host, port, app.server, threaded=True)
        except (OSError, SystemExit) as exc:
            extensions = app.server.extensions.get("trendmon", {})
            data = extensions.pop("data", None)
            if data is not None:
                data.close()
            accounts = extensions.pop("accounts", None)
            if accounts is not None:
                accounts.close()
            reason = exc.strerror if isinstance(exc, OSError) else "address in use"
            raise ConfigError(
                f"cannot listen on {host}:{port} ({reason}); pick another --port, or stop "
                "what uses it"
            ) from None
        self.host = host
        self.port = self._server.server_port
        self._thread: threading.Thread | None = None
        # Werkzeug logs every request at INFO; a wall's callbacks would flood the terminal.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"http://{host}:{self.port}"

    def serve_forever(self) -> None:
        """Serve in this thread until :meth:`stop` (or Ctrl-C)."""
        self._server.serve_forever()

    def start(self) -> DashboardServer:
        """Serve from a daemon thread; return self."""
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="trendmon-dashboard", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop the background thread's serving, then :meth:`close`."""
        extensions = self.app.server.extensions.get("trendmon", {})
        stream: Stream | None = extensions.get("stream")
        if stream is not None:
            stream.stop()
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=10)
            self._thread = None
        self.close()

    def close(self) -> None:
        """End open streams, release the socket, close the stores (after serving ended)."""
        extensions = self.app.server.extensions.get("trendmon", {})
        stream: Stream | None = extensions.get("stream")
        if stream is not None:
            stream.stop()
        self._server.server_close()
        data: DashboardData | None = extensions.pop("data", None)
        if data is not None:
            data.close()
        accounts: AccountStore | None = extensions.pop("accounts", None)
        if accounts is not None:
            accounts.close()

    def __enter__(self) -> DashboardServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
