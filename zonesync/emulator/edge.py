"""The emulator's edge: HTTPS on a loopback port for every Worker custom domain, answered by the Worker.

Cloudflare serves a custom domain's hostname from its edge with a certificate it issued (facts W5) and runs the
Worker for each request. Here the certificate comes from :mod:`.certs` (chosen by SNI: a hostname without a
custom domain gets no certificate, so the handshake fails; so does one whose certificate is still pending,
``Emulator(cert_pending=SECONDS)``, as on Cloudflare where issuing it takes minutes: facts W5, W12) and the
Worker runs in :mod:`.jsworker`.
A Worker that throws gets Cloudflare's error page, ``500`` "Error 1101 Worker threw exception"; one that runs
too long ``503`` "Error 1102 Worker exceeded resource limits". For ``HEAD`` the body is dropped, as at any
HTTP server. A ``Host`` that names no custom domain (possible only when it differs from the SNI name) gets
``421 Misdirected Request`` (chosen: no real answer quoted).
"""

from __future__ import annotations

import contextlib
import secrets
import shutil
import ssl
import tempfile
import threading
from collections.abc import Callable
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

from .certs import Authority, write_private
from .httpbase import QuietHandler
from .jsworker import EnginelessWorker, ModuleWorker, WorkerException

Route = Callable[[str], ModuleWorker | EnginelessWorker | None]
HANDSHAKE_TIMEOUT = 10.0

_ERROR_PAGE = """<!DOCTYPE html>
<html lang="en-US"><head><title>{title} | {host} | Cloudflare</title>
<meta charset="UTF-8" /></head>
<body><div id="cf-wrapper"><div id="cf-error-details">
<h1><span class="cf-error-type">Error</span> <span class="cf-error-code">{code}</span></h1>
<h2 class="cf-subheadline">{title}</h2>
<p>You've requested a page on a website ({host}) that is on the Cloudflare network. An unknown error occurred
while rendering the page.</p>
<p>Cloudflare Ray ID: <strong>{ray}</strong></p>
</div></div></body></html>
"""


class Edge:
    """An HTTPS server on ``host:port``; ``route(hostname)`` gives the Worker that answers a hostname."""

    def __init__(
        self, route: Route, host: str = "127.0.0.1", port: int = 0, ready: Callable[[str], bool] | None = None
    ) -> None:
        self.route = route
        self.ready = ready or (lambda hostname: True)
        """Is the hostname's certificate issued? While it is pending, the handshake fails as for no domain."""
        self.host, self._port = host, port
        self.authority = Authority()
        self._dir = Path(tempfile.mkdtemp(prefix="zonesync-edge-"))
        self._contexts: dict[str, ssl.SSLContext] = {}
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- TLS ------------------------------------------------------------------------------------------
    def _context_for(self, hostname: str) -> ssl.SSLContext:
        with self._lock:
            ctx = self._contexts.get(hostname)
            if ctx is None:
                cert, key = self.authority.leaf(hostname)
                stem = self._dir / secrets.token_hex(8)
                write_private(stem.with_suffix(".crt"), cert)
                write_private(stem.with_suffix(".key"), key)
                ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                ctx.minimum_version = ssl.TLSVersion.TLSv1_2
                ctx.load_cert_chain(stem.with_suffix(".crt"), stem.with_suffix(".key"))
                self._contexts[hostname] = ctx
            return ctx

    def _sni(self, sslobj: ssl.SSLObject, server_name: str | None, _ctx: ssl.SSLContext) -> int | None:
        name = (server_name or "").rstrip(".").lower()
        if not name or self.route(name) is None or not self.ready(name):
            return ssl.ALERT_DESCRIPTION_UNRECOGNIZED_NAME
        sslobj.context = self._context_for(name)
        return None

    def write_ca(self, path: str | Path) -> Path:
        """Write the CA certificate (PEM) for clients to trust; returns the path."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_private(path, self.authority.pem)
        return path

    # -- lifecycle ------------------------------------------------------------------------------------
    def start(self) -> Edge:
        base = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        base.minimum_version = ssl.TLSVersion.TLSv1_2
        base.sni_callback = self._sni
        server = _TLSServer((self.host, self._port), _EdgeHandler, bind_and_activate=False)
        server.daemon_threads = True
        server.allow_reuse_address = True
        server.server_bind()
        server.server_activate()
        server.tls = base  # type: ignore[attr-defined]
        server.edge = self  # type: ignore[attr-defined]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        shutil.rmtree(self._dir, ignore_errors=True)

    @property
    def port(self) -> int:
        return self._port if self._server is None else self._server.server_address[1]


class _TLSServer(ThreadingHTTPServer):
    """Handshakes in the request's own thread, so one slow client never blocks ``accept``."""

    def finish_request(self, request: Any, client_address: Any) -> None:
        request.settimeout(HANDSHAKE_TIMEOUT)
        try:
            tls = self.tls.wrap_socket(request, server_side=True)  # type: ignore[attr-defined]
        except (ssl.SSLError, OSError):
            with contextlib.suppress(OSError):
                request.close()
            return
        tls.settimeout(None)
        super().finish_request(tls, client_address)


class _EdgeHandler(QuietHandler):
    def version_string(self) -> str:
        return "cloudflare"

    def _send(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.send_response(status)
        for key, value in headers:
            if key.lower() not in ("content-length", "connection", "server", "date", "transfer-encoding"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("CF-RAY", secrets.token_hex(8))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _error(self, status: int, code: int, title: str, host: str) -> None:
        page = _ERROR_PAGE.format(title=title, host=host, code=code, ray=secrets.token_hex(8))
        self._send(status, [("Content-Type", "text/html; charset=UTF-8")], page.encode("utf-8"))

    def _run(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        edge: Edge = self.server.edge  # type: ignore[attr-defined]
        host = (self.headers.get("Host") or "").rsplit(":", 1)[0].rstrip(".").lower()
        worker = edge.route(host) if host else None
        if worker is None:
            msg = f"no Worker custom domain for {host or 'this request'}".encode()
            self._send(421, [("Content-Type", "text/plain; charset=UTF-8")], msg)
            return
        headers = [(k.lower(), v) for k, v in self.headers.items()]
        try:
            answer = worker.fetch(self.command, f"https://{host}{self.path}", headers, body)
        except WorkerException as exc:
            if exc.timed_out:
                self._error(503, 1102, "Worker exceeded resource limits", host)
            else:
                self._error(500, 1101, "Worker threw exception", host)
            return
        self._send(answer.status, list(answer.headers), answer.body)

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _run
