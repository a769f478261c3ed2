"""A fault proxy on loopback in front of the emulator: loses, garbles or delays the answer of a batch
write *after* the emulator committed it (or fails it before), as a network or Cloudflare's edge can.

Every request is forwarded as is. A batch POST numbered in `faults` (1 = the first batch the proxy sees)
gets that fault instead of its real answer:

- `reset`: forwarded, then the connection is closed without an answer;
- `502`, `html`, `broken`, `empty`, `success-false`: forwarded, then that answer (HTTP 502 with an
  HTML page, or HTTP 200 with a body that is not a successful envelope);
- `late`: forwarded, then the real answer after `late_seconds` (longer than the client's timeout);
- `502-before`: not forwarded (the emulator never sees it), HTTP 502.

- `race`: forwarded and answered normally, but `before_forward` runs first (another run changing the zone).

`before_forward`, if set, runs before any faulted batch is forwarded.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

FAILED_ENVELOPE = {
    "result": None,
    "success": False,
    "errors": [{"code": 10000, "message": "x"}],
    "messages": [],
}
BODIES = {
    "502": (502, b"<html><head><title>502 Bad Gateway</title></head><body>cloudflare</body></html>"),
    "html": (200, b"<!DOCTYPE html><html><body>Just a moment...</body></html>"),
    "broken": (200, b'{"result": {"deletes": [], "posts": [{"id": "'),
    "empty": (200, b""),
    "success-false": (200, json.dumps(FAILED_ENVELOPE).encode()),
}


class FaultProxy:
    def __init__(
        self, upstream: str, faults: dict[int, str] | None = None, late_seconds: float = 1.5
    ) -> None:
        self.upstream = upstream.rstrip("/")
        self.faults = dict(faults or {})
        self.late_seconds = late_seconds
        self.before_forward: Callable[[], None] | None = None
        self.batches = 0
        self.forwarded_batches = 0
        self._lock = threading.Lock()
        self._client = httpx.Client(timeout=30)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The proxy's base URL, with the upstream's path (`.../client/v4`)."""
        path = httpx.URL(self.upstream).path
        return f"http://127.0.0.1:{self._server.server_address[1]}{path}"

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._client.close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _serve(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                fault = None
                if self.command == "POST" and self.path.split("?")[0].endswith("/dns_records/batch"):
                    with proxy._lock:
                        proxy.batches += 1
                        fault = proxy.faults.get(proxy.batches)
                if fault == "502-before":
                    return self._answer(*BODIES["502"])
                if fault and proxy.before_forward:
                    proxy.before_forward()
                origin = httpx.URL(proxy.upstream)
                url = f"{origin.scheme}://{origin.host}:{origin.port}{self.path}"
                headers = {
                    k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")
                }
                real = proxy._client.request(self.command, url, content=body, headers=headers)
                if fault:
                    with proxy._lock:
                        proxy.forwarded_batches += 1
                if fault == "reset":
                    # An RST instead of an answer: SO_LINGER 0, then close.
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.close_connection = True
                    return
                if fault == "late":
                    time.sleep(proxy.late_seconds)
                elif fault and fault != "race":
                    return self._answer(*BODIES[fault])
                extra = {
                    k: v for k, v in real.headers.items() if k.lower() in ("retry-after", "content-type")
                }
                self._answer(real.status_code, real.content, extra)

            def _answer(self, status: int, content: bytes, headers: dict[str, str] | None = None) -> None:
                try:
                    self.send_response(status)
                    for key, value in (headers or {"content-type": "application/json"}).items():
                        self.send_header(key, value)
                    self.send_header("content-length", str(len(content)))
                    self.end_headers()
                    self.wfile.write(content)
                except OSError:
                    pass  # the client gave up (a late answer)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        return Handler
