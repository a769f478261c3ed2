"""A fake Cloudflare API on loopback that answers whatever a test scripts, and records every write.

Separate from the emulator on purpose: the emulator models Cloudflare faithfully, this one lies (broken
bodies, lying pagination, wrong field types) so the tests can check that zonesync never acts on a bad
read. Answers are built from plain dicts (`zones`, `records`) unless a test sets `answer`, a function
(method, path, query) -> (status, body bytes) or None for the default answer.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

ZONE_ID = "0123456789abcdef0123456789abcdef"
ACCOUNT_ID = "a" * 32

Answer = Callable[[str, str, dict[str, str]], "tuple[int, bytes] | None"]


def envelope(result: Any, info: dict[str, int] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"result": result, "success": True, "errors": [], "messages": []}
    if info is not None:
        body["result_info"] = info
    return body


def page_of(items: list[Any], page: int, per_page: int) -> dict[str, Any]:
    """One page of a listing with an honest `result_info`, as Cloudflare answers it."""
    chunk = items[(page - 1) * per_page : page * per_page]
    info = {
        "page": page,
        "per_page": per_page,
        "count": len(chunk),
        "total_count": len(items),
        "total_pages": max(1, math.ceil(len(items) / per_page)),
    }
    return envelope(chunk, info)


def record(i: int, zone: str = "example.com") -> dict[str, Any]:
    """A live A record `h<i>` as the API lists it (what `zone_file(n)` declares)."""
    return {
        "id": f"{i:032x}",
        "name": f"h{i}.{zone}",
        "type": "A",
        "content": f"192.0.2.{i}",
        "proxiable": True,
        "proxied": False,
        "ttl": 300,
        "settings": {},
        "meta": {},
        "comment": None,
        "tags": [],
        "created_on": "2026-01-01T00:00:00.000000Z",
        "modified_on": "2026-01-01T00:00:00.000000Z",
    }


def zone_file(n: int, zone: str = "example.com") -> str:
    """A zone file declaring exactly the `n` records `record(0..n-1)` lists: any write is a bad-read write."""
    lines = [f"zone: {zone}", "ttl: 300", "records:"]
    lines += [f"  h{i}: {{type: A, value: 192.0.2.{i}}}" for i in range(n)]
    return "\n".join(lines) + "\n"


class FakeApi:
    def __init__(self, n_records: int = 5) -> None:
        self.zones: list[dict[str, Any]] = [
            {
                "id": ZONE_ID,
                "name": "example.com",
                "account": {"id": ACCOUNT_ID, "name": "Account"},
                "plan": {"legacy_id": "free"},
            }
        ]
        self.records: list[dict[str, Any]] = [record(i) for i in range(n_records)]
        self.answer: Answer | None = None
        self.writes: list[tuple[str, str]] = []
        self.requests: list[tuple[str, str]] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/client/v4"

    def __enter__(self) -> FakeApi:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def default(self, method: str, path: str, query: dict[str, str]) -> tuple[int, bytes]:
        page, per_page = int(query.get("page", 1)), int(query.get("per_page", 20))
        if method != "GET":
            return 200, json.dumps(envelope({"deletes": [], "patches": [], "puts": [], "posts": []})).encode()
        if path == "/client/v4/zones":
            zones = [z for z in self.zones if "name" not in query or z.get("name") == query["name"]]
            return 200, json.dumps(page_of(zones, page, min(per_page, 50))).encode()
        if path == f"/client/v4/zones/{ZONE_ID}/dns_records":
            return 200, json.dumps(page_of(self.records, page, per_page)).encode()
        return 404, json.dumps({"success": False, "errors": [{"code": 7003, "message": "No route"}]}).encode()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _serve(self) -> None:
                url = urlsplit(self.path)
                query = {k: v[-1] for k, v in parse_qs(url.query).items()}
                length = int(self.headers.get("content-length") or 0)
                if length:
                    self.rfile.read(length)
                api.requests.append((self.command, url.path))
                if self.command != "GET":
                    api.writes.append((self.command, url.path))
                got = api.answer(self.command, url.path, query) if api.answer else None
                status, body = got if got is not None else api.default(self.command, url.path, query)
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        return Handler
