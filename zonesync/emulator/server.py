"""HTTP front end of the emulator: routing, auth, rate limit, faults, latency, stats, and the ``Emulator`` API.

Speaks the Cloudflare API v4 envelope (``{"result", "success", "errors", "messages"[, "result_info"]}``) under
``/client/v4`` so the official ``cloudflare`` SDK works unchanged with ``base_url=emu.url``. Control endpoints
live under ``/__emulator/`` (no auth, not counted, no latency) for out-of-process tests and benchmarks.
"""

from __future__ import annotations

import json
import re
import threading
import time
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

from . import errors
from .dns_server import DnsServer
from .dnssec import Dnssec
from .edge import Edge
from .faults import Faults
from .httpbase import QuietHandler
from .ratelimit import DEFAULT as DEFAULT_RATE_LIMIT
from .ratelimit import PER_IP, RateLimiter
from .store import Store, Zone, is_identifier
from .workers import Workers

PREFIX = "/client/v4"
_BEARER = re.compile(r"Bearer ([A-Za-z0-9._~+/=-]+)")


class _Answer:
    """A response ready to send: status, body text, extra headers."""

    __slots__ = ("body", "headers", "status")

    def __init__(self, status: int, body: str, headers: dict[str, str] | None = None) -> None:
        self.status, self.body, self.headers = status, body, headers or {}


def _ok(result: Any, info: dict[str, int] | None = None) -> _Answer:
    env: dict[str, Any] = {"result": result, "success": True, "errors": [], "messages": []}
    if info is not None:
        env["result_info"] = info
    return _Answer(200, json.dumps(env, separators=(",", ":")))


def _ok_records(zone: Zone, recs: list[dict[str, Any]], info: dict[str, int]) -> _Answer:
    """A page of records from the per-record JSON cache (fast for 10k-record pages)."""
    body = (
        '{"result":['
        + ",".join(zone.record_json(r) for r in recs)
        + '],"success":true,"errors":[],"messages":[],"result_info":'
        + json.dumps(info, separators=(",", ":"))
        + "}"
    )
    return _Answer(200, body)


def _fail(exc: errors.ApiError) -> _Answer:
    env = {"result": None, "success": False, "errors": [exc.error()], "messages": []}
    return _Answer(exc.status, json.dumps(env, separators=(",", ":")), dict(exc.headers))


def route_of(method: str, path: str) -> str:
    """The route template used as the stats key, e.g. ``GET /zones/:id/dns_records``."""
    parts = [p for p in path[len(PREFIX) :].split("/") if p]
    if not parts:
        return f"{method} /"
    out = []
    for i, part in enumerate(parts):
        if parts[0] == "zones" and i in (1, 3) and not (i == 3 and part in ("batch", "export")):
            out.append(":id")
        elif parts[0] == "accounts" and i == 1:
            out.append(":account")
        elif parts[0] == "accounts" and i == 4:
            out.append(":name" if parts[3] == "scripts" else ":id")
        else:
            out.append(part)
    return f"{method} /" + "/".join(out)


class Emulator:
    """A local Cloudflare API v4 (zones + dns_records) for tests and benchmarks."""

    def __init__(
        self,
        tokens: tuple[str, ...] | list[str] = ("test-token",),
        zones: tuple[str, ...] | list[str] = ("example.com",),  # NAME or NAME@ACCOUNT_ID
        plan: str = "free",
        latency: float = 0.0,
        rate_limit: tuple[int, float] | Literal[0] | None = None,  # (requests, window seconds); 0: off
        seed: str | Path | dict | list | None = None,
        state_path: str | Path | None = None,
        batch_limit: int | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        dns_port: int | None = None,
        dns_only_tokens: tuple[str, ...] | list[str] = (),
        edge_port: int | None = None,
        ca_file: str | Path | None = None,
        account_tokens: dict[str, str] | None = None,
        token_owners: dict[str, str] | None = None,
        ip_rate_limit: tuple[int, float] | Literal[0] | None = None,
        rate_limit_block: float | None = None,
        cert_pending: float = 0.0,
        read_only_tokens: tuple[str, ...] | list[str] = (),
        dnssec_delay: float = 0.0,
        propagation_delay: float = 0.0,
    ) -> None:
        self.account_tokens = dict(account_tokens or {})
        """token -> the one account it may use (an account-scoped API token); other tokens see every account."""
        self.tokens = frozenset(tokens) | frozenset(dns_only_tokens) | frozenset(self.account_tokens)
        self.dns_only_tokens = frozenset(dns_only_tokens)  # accepted, but 403 10000 on Workers (facts W9)
        self.read_only_tokens = frozenset(read_only_tokens)
        """Tokens with DNS Read only: every write under /zones is 403 10000 (facts S6)."""
        self.tokens |= self.read_only_tokens
        self._edge_port, self.ca_file = edge_port, Path(ca_file) if ca_file else None
        self.edge: Edge | None = None
        self.latency = float(latency)
        self.host, self._port = host, port
        if rate_limit is None:
            rate_limit = DEFAULT_RATE_LIMIT
        if not rate_limit:
            rate_limit = (0, 0.0)
        self.limiter = RateLimiter(
            int(rate_limit[0]), float(rate_limit[1]), block=rate_limit_block, owners=token_owners
        )
        """The per-user budget: ``token_owners`` maps user tokens to their user (tokens of one user share
        it); a token not listed has its own (an account-owned token)."""
        if ip_rate_limit is None:
            ip_rate_limit = PER_IP if self.limiter.enabled else (0, 0.0)
        if not ip_rate_limit:
            ip_rate_limit = (0, 0.0)
        self.ip_limiter = RateLimiter(int(ip_rate_limit[0]), float(ip_rate_limit[1]), name="ip")
        """The per-client-address limit (Cloudflare: 200 requests a second), on whenever ``rate_limit`` is."""
        self.faults = Faults()
        self.store = Store(
            plan=plan, batch_limit=batch_limit, state_path=str(state_path) if state_path else None
        )
        self._stats_lock = threading.Lock()
        self._total = 0
        self._by_route: dict[str, int] = {}
        self._by_status: dict[str, int] = {}
        self.workers = Workers(self.store, cert_pending)
        self.dnssec = self.store.dnssec = Dnssec(self.store.lock, dnssec_delay)
        """`/zones/{id}/dnssec` and its knobs: `delay` (the registrar step), `tamper` (bad signatures)."""
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.dns: DnsServer | None = None
        self._dns_port = dns_port
        self.propagation_delay = float(propagation_delay)
        """Seconds before the DNS server serves an API change (Cloudflare: usually seconds; facts D5)."""

        if state_path and Path(state_path).exists():
            self.store.load_state(json.loads(Path(state_path).read_text(encoding="utf-8")))
        elif seed is not None:
            data = (
                json.loads(Path(seed).read_text(encoding="utf-8")) if isinstance(seed, str | Path) else seed
            )
            self.store.load_seed(data)
        for name in zones:  # "example.com", or "example.com@<account id>" for a zone of another account
            zone_name, _, account = name.partition("@")
            self.store.create_zone(zone_name, account_id=account or None)
        self.store.save()

    # -- lifecycle ------------------------------------------------------------------------------------
    def start(self) -> Emulator:
        server = ThreadingHTTPServer((self.host, self._port), _Handler, bind_and_activate=False)
        server.daemon_threads = True
        server.request_queue_size = 256
        server.allow_reuse_address = True
        server.server_bind()
        server.server_activate()
        server.emulator = self  # type: ignore[attr-defined]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        if self._dns_port is not None:
            self.start_dns(self._dns_port)
        if self._edge_port is not None:
            self.edge = Edge(
                self.workers.worker_for, self.host, self._edge_port, self.workers.certificate_ready
            ).start()
            if self.ca_file is not None:
                self.edge.write_ca(self.ca_file)
        return self

    def start_dns(self, port: int = 0, latency: float = 0.0) -> int:
        """Serve the zones as their authoritative nameserver (UDP + TCP, see ``dns_server``); returns the port.
        API changes are served ``propagation_delay`` seconds late."""
        if self.dns is None:
            self.dns = DnsServer(self.store, self.host, port, latency, self.propagation_delay).start()
        return self.dns.port

    def stop(self) -> None:
        if self.dns is not None:
            self.dns.stop()
            self.dns = None
        if self.edge is not None:
            self.edge.stop()
            self.edge = None
        self.workers.close()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Emulator:
        return self.start() if self._server is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            return self._port
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}{PREFIX}"

    @property
    def edge_port(self) -> int:
        """The HTTPS port serving Worker custom domains (start with ``edge_port=0`` for a free one)."""
        if self.edge is None:
            raise RuntimeError("the Workers edge is not running: start the emulator with edge_port")
        return self.edge.port

    @property
    def ca_pem(self) -> bytes:
        """The CA certificate (PEM) that signs the edge's certificates: what a client must trust."""
        if self.edge is None:
            raise RuntimeError("the Workers edge is not running: start the emulator with edge_port")
        return self.edge.authority.pem

    def write_ca(self, path: str | Path) -> Path:
        """Write the edge's CA certificate to ``path`` (for ``--ca-file`` of a client)."""
        if self.edge is None:
            raise RuntimeError("the Workers edge is not running: start the emulator with edge_port")
        return self.edge.write_ca(path)

    # -- state helpers (behind the client's back) ----------------------------------------------------
    def zone_id(self, name: str) -> str:
        return self.store.zone_named(name).id

    def add_zone(self, name: str, plan: str | None = None, account_id: str | None = None) -> str:
        with self.store.lock:
            zone = self.store.create_zone(name, plan, account_id=account_id)
            self.store.save()
            return zone.id

    def _zone(self, name: str, account_id: str | None) -> Zone:
        if account_id is None:
            return self.store.zone_named(name)
        return self.store.zone_in_account[(account_id, name.strip().rstrip(".").lower())]

    def records(self, zone: str, account_id: str | None = None) -> list[dict[str, Any]]:
        with self.store.lock:
            z = self._zone(zone, account_id)
            return [json.loads(z.record_json(r)) for r in z.records.values()]

    def add_record(self, zone: str, record: dict[str, Any], account_id: str | None = None) -> dict[str, Any]:
        rec = self.store.add(self._zone(zone, account_id), record)
        return json.loads(json.dumps(rec))

    # -- knobs -------------------------------------------------------------------------------------------
    def stats(self) -> dict[str, Any]:
        with self._stats_lock:
            return {
                "total": self._total,
                "by_route": dict(self._by_route),
                "by_status": dict(self._by_status),
            }

    def warm(self) -> None:
        """Render every record's JSON now, as an emulator that has been answering for a while holds it: the
        bench seeds zones and calls this before timing a tool, so the first listing's rendering is not
        charged to the tool that happens to read first."""
        with self.store.lock:
            for zone in self.store.zones.values():
                for rec in zone.records.values():
                    zone.record_json(rec)

    def reset_stats(self) -> None:
        with self._stats_lock:
            self._total = 0
            self._by_route.clear()
            self._by_status.clear()

    def inject_fault(
        self,
        status: int = 500,
        code: int | None = None,
        method: str | None = None,
        path_pattern: str = "",
        times: int | None = None,
        every: int | None = None,
        message: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.faults.add(
            status=status,
            code=code,
            method=method,
            path_pattern=path_pattern,
            times=times,
            every=every,
            message=message,
            retry_after=retry_after,
        )

    def clear_faults(self) -> None:
        self.faults.clear()

    def set_rate_limit(self, requests: int, window_seconds: float, block: float | None = None) -> None:
        """The per-user budget (blocked for ``block`` seconds, default the window, once spent);
        ``requests <= 0`` turns it off."""
        self.limiter.configure(int(requests), float(window_seconds), block)

    def set_ip_rate_limit(self, requests: int, window_seconds: float) -> None:
        """The per-address limit; ``requests <= 0`` turns it off."""
        self.ip_limiter.configure(int(requests), float(window_seconds))

    def set_dnssec(self, delay: float | None = None, tamper: bool | None = None) -> None:
        """DNSSEC knobs: `delay`, seconds a pending state takes to move on (the registrar adding or removing
        the DS; states already pending move on no later than that from now); `tamper`, serve corrupted signatures (a validator must answer SERVFAIL)."""
        with self.store.lock:
            if delay is not None:
                self.dnssec.delay = float(delay)
                soon = time.monotonic() + self.dnssec.delay
                for zone in self.store.zones.values():  # a pending state waits no longer than the new delay
                    state = zone.dnssec
                    if state is not None and state.moves_at is not None:
                        state.moves_at = min(state.moves_at, soon)
            if tamper is not None:
                self.dnssec.tamper = bool(tamper)
                for zone in self.store.zones.values():  # no cached answer survives the switch
                    zone.version += 1

    def dnssec_ds(self, zone: str) -> str:
        """The zone's DS text as the API shows it (behind the client's back; empty when never enabled)."""
        with self.store.lock:
            return self.dnssec.get(self.store.zone_named(zone))["ds"] or ""

    def set_latency(self, seconds: float) -> None:
        self.latency = float(seconds)

    # -- request handling -----------------------------------------------------------------------------
    def _count(self, route: str) -> None:
        with self._stats_lock:
            self._total += 1
            self._by_route[route] = self._by_route.get(route, 0) + 1

    def handle(self, method: str, raw_path: str, headers: Any, body: bytes, client: str = "") -> _Answer:
        split = urlsplit(raw_path)
        path = split.path.rstrip("/") or "/"
        if path.startswith("/__emulator/"):
            return self._control(method, path, split.query, body)
        self._count(route_of(method, path) if path.startswith(PREFIX) else f"{method} {path}")
        answer = self._answer(method, path, split.query, headers, body, client)
        with self._stats_lock:
            key = str(answer.status)
            self._by_status[key] = self._by_status.get(key, 0) + 1
        return answer

    def _answer(
        self, method: str, path: str, raw_query: str, headers: Any, body: bytes, client: str = ""
    ) -> _Answer:
        if self.latency > 0:
            time.sleep(self.latency)
        extra: dict[str, str] = {}
        try:
            fault = self.faults.check(method, path)
            if fault is not None:
                raise fault
            if self.ip_limiter.enabled:  # every request counts, authenticated or not
                allowed, extra = self.ip_limiter.hit(client)
                if not allowed:
                    raise errors.ApiError(429, errors.RATE_LIMITED, errors.RATE_LIMITED_MSG)
            token = self._authenticate(headers)
            if isinstance(token, _Answer):
                token.headers = {**extra, **token.headers}
                return token
            if self.limiter.enabled:
                allowed, extra = self.limiter.hit(token)
                if not allowed:
                    raise errors.ApiError(429, errors.RATE_LIMITED, errors.RATE_LIMITED_MSG)
            query = {k: v[-1] for k, v in parse_qs(raw_query, keep_blank_values=True).items()}
            if path.startswith(PREFIX + "/accounts/"):
                self._check_account(token, path[len(PREFIX + "/accounts/") :].split("/")[0])
                answer = self._accounts(method, path, query, headers, body, token)
            else:
                answer = self._dispatch(method, path, query, body, token)
        except errors.ApiError as exc:
            answer = _fail(exc)
        except Exception:  # no tracebacks to clients
            answer = _fail(errors.ApiError(500, errors.INTERNAL, errors.INTERNAL_MSG))
        answer.headers = {**extra, **answer.headers}
        return answer

    def _authenticate(self, headers: Any) -> str | _Answer:
        """Bearer token check, facts #11 (missing), #12a (malformed), #12b (unknown)."""
        auth = headers.get("Authorization")
        if auth is None and headers.get("X-Auth-Key") is not None and headers.get("X-Auth-Email") is not None:
            key = headers.get("X-Auth-Key")  # legacy global API key auth: the configured tokens act as keys
            if key not in self.tokens:
                raise errors.ApiError(403, errors.UNKNOWN_AUTH_KEY, errors.UNKNOWN_AUTH_KEY_MSG)
            return key
        if auth is None:
            env = {
                "success": False,
                "errors": [{"code": errors.MISSING_AUTH, "message": errors.MISSING_AUTH_MSG}],
            }
            return _Answer(400, json.dumps(env, separators=(",", ":")))
        match = _BEARER.fullmatch(auth.strip())
        if match is None:
            chain = [{"code": errors.BAD_AUTH_FORMAT, "message": errors.BAD_AUTH_FORMAT_MSG}]
            raise errors.ApiError(400, errors.BAD_HEADERS, errors.BAD_HEADERS_MSG, chain)
        token = match.group(1)
        if token not in self.tokens:
            raise errors.ApiError(403, errors.INVALID_TOKEN, errors.INVALID_TOKEN_MSG)
        return token

    def _check_account(self, token: str, account_id: str) -> None:
        """A token scoped to another account: 403 10000 "Authentication error" (facts #13, W9)."""
        scope = self.account_tokens.get(token)
        if scope is not None and scope != account_id:
            raise errors.ApiError(403, errors.AUTH_ERROR, errors.AUTH_ERROR_MSG)

    def _dispatch(self, method: str, path: str, query: dict[str, str], body: bytes, token: str) -> _Answer:
        if not path.startswith(PREFIX + "/") and path != PREFIX:
            raise errors.ApiError(404, errors.NO_ROUTE_URI, "No route for that URI")
        parts = [p for p in path[len(PREFIX) :].split("/") if p]
        n = len(parts)
        store = self.store
        if n == 0 or parts[0] != "zones":
            raise errors.ApiError(404, errors.NO_ROUTE_URI, "No route for that URI")
        if n == 1:
            if method == "GET":
                scope = self.account_tokens.get(token)
                zones, info = store.list_zones(query, None if scope is None else frozenset((scope,)))
                return _ok(zones, info)
            if method == "POST":
                return _ok(self._create_zone(_json_body(body)))
            raise _not_allowed()
        with store.lock:
            zone = store.zone(parts[1], path)
        self._check_account(token, zone.account_id)
        if token in self.read_only_tokens and method != "GET":
            raise errors.ApiError(403, errors.AUTH_ERROR, errors.AUTH_ERROR_MSG)
        if n == 2:
            if method == "GET":
                return _ok(zone.obj())
            raise _not_allowed()
        if parts[2] in ("pagerules", "settings") and n == 3:  # octodns-cloudflare reads pagerules (URLFWD)
            if method == "GET":
                return _ok([])
            raise _not_allowed()
        if parts[2:4] == ["ssl", "certificate_packs"] and n == 5:
            if method == "GET":
                return _ok(self.workers.certificate_pack(zone.id, parts[4]))
            raise _not_allowed()
        if parts[2] == "dnssec" and n == 3:
            if method == "GET":
                return _ok(self.dnssec.get(zone))
            if method == "PATCH":
                edited = self.dnssec.edit(zone, _json_body(body))
                self.store.save()  # the keys and the state survive a restart (a state file only)
                return _ok(edited)
            if method == "DELETE":
                deleted = self.dnssec.delete(zone)
                self.store.save()
                return _ok(deleted)
            raise _not_allowed()
        if parts[2] != "dns_records":
            raise errors.ApiError(
                404, errors.NO_ROUTE, f"Could not route to {path}, perhaps your object identifier is invalid?"
            )
        if n == 3:
            if method == "GET":
                with store.lock:  # list and encode under one lock: the JSON cache must not see a stale record
                    recs, info = store.list_records(zone, query)
                    return _ok_records(zone, recs, info)
            if method == "POST":
                return _ok(store.create(zone, _json_body(body)))
            raise _not_allowed()
        if n == 4 and parts[3] == "export":  # the BIND file, not an envelope (export.py)
            if method == "GET":
                from .export import export_zone

                with store.lock:
                    return _Answer(200, export_zone(zone), {"Content-Type": "text/plain; charset=utf-8"})
            raise _not_allowed()
        if n == 4 and parts[3] == "batch":
            if method == "POST":
                return _ok(store.batch(zone, _json_body(body)))
            raise _not_allowed()
        if n != 4 or not is_identifier(parts[3]):
            raise errors.ApiError(
                404, errors.NO_ROUTE, f"Could not route to {path}, perhaps your object identifier is invalid?"
            )
        rid = parts[3]
        if method == "GET":
            with store.lock:
                return _ok(store._existing(zone, rid))
        if method in ("PUT", "PATCH"):
            return _ok(store.update(zone, rid, _json_body(body), patch=method == "PATCH"))
        if method == "DELETE":
            store.delete(zone, rid)
            return _ok({"id": rid})
        raise _not_allowed()

    def _accounts(
        self, method: str, path: str, query: dict[str, str], headers: Any, body: bytes, token: str
    ) -> _Answer:
        """``/accounts/{id}/workers/...``: scripts and custom domains (``workers.py``)."""
        parts = [p for p in path[len(PREFIX) :].split("/") if p]
        scope = self.account_tokens.get(token)
        allowed = token not in self.dns_only_tokens and (scope is None or parts[1:2] == [scope])
        reply = self.workers.handle(method, path, parts, query, headers, body, allowed)
        if reply.text is not None:
            return _Answer(200, reply.text, {"Content-Type": reply.content_type, **reply.extra_headers})
        return _ok(reply.result)

    def _create_zone(self, body: Any) -> dict[str, Any]:
        """``POST /zones`` (octoDNS creates missing zones this way)."""
        name = body.get("name") if isinstance(body, dict) else None
        if not isinstance(name, str) or "." not in name.strip(". "):
            raise errors.ApiError(400, 1099, "Invalid or missing zone name.")
        with self.store.lock:
            if name.strip().rstrip(".").lower() in self.store.zone_by_name:
                raise errors.ApiError(400, 1061, f"{name} already exists")
            zone = self.store.create_zone(name)
            self.store.save()
            return zone.obj()

    # -- control endpoints --------------------------------------------------------------------------------
    def _control(self, method: str, path: str, query: str, body: bytes) -> _Answer:
        action = path[len("/__emulator/") :]
        try:
            data = json.loads(body) if body else {}
            params = {k: v[-1] for k, v in parse_qs(query).items()}
            result: Any = {"ok": True}
            if action == "stats" and method == "GET":
                result = self.stats()
            elif action == "reset-stats" and method == "POST":
                self.reset_stats()
            elif action == "faults" and method == "POST":
                for spec in data if isinstance(data, list) else [data]:
                    self.inject_fault(**spec)
            elif action == "faults" and method == "DELETE":
                self.clear_faults()
            elif action == "rate-limit" and method == "POST":
                block = data.get("block")
                self.set_rate_limit(
                    int(data.get("requests", 0)),
                    float(data.get("window", 0)),
                    None if block is None else float(block),
                )
            elif action == "ip-rate-limit" and method == "POST":
                self.set_ip_rate_limit(int(data.get("requests", 0)), float(data.get("window", 0)))
            elif action == "cert-pending" and method == "POST":
                self.workers.cert_pending = float(data.get("seconds", 0))
            elif action == "dnssec" and method == "POST":
                self.set_dnssec(data.get("delay"), data.get("tamper"))
            elif action == "latency" and method == "POST":
                self.set_latency(float(data.get("seconds", 0)))
            elif action == "dns-latency" and method == "POST" and self.dns is not None:
                self.dns.latency = float(data.get("seconds", 0))
            elif action == "zones" and method == "GET":
                result = [{"id": z.id, "name": z.name, "plan": z.plan} for z in self.store.zones.values()]
            elif action == "zones" and method == "POST":
                result = {"id": self.add_zone(data["name"], data.get("plan"))}
            elif action == "records" and method == "GET":
                result = self.records(params["zone"])
            elif action == "records" and method == "POST":
                result = self.add_record(data["zone"], data["record"])
            else:
                return _Answer(404, json.dumps({"error": f"unknown control endpoint {method} {path}"}))
            return _Answer(200, json.dumps(result))
        except errors.ApiError as exc:
            return _fail(exc)
        except Exception as exc:
            return _Answer(400, json.dumps({"error": f"{type(exc).__name__}: {exc}"}))


def _json_body(body: bytes) -> Any:
    if not body:
        return None
    try:
        return json.loads(body)
    except ValueError:
        raise errors.ApiError(400, errors.BAD_BODY, errors.BAD_BODY_MSG) from None


def _not_allowed() -> errors.ApiError:
    return errors.ApiError(405, errors.METHOD_NOT_ALLOWED, "Method not allowed")


class _Handler(QuietHandler):
    _headers_buffer: list[bytes]
    """BaseHTTPRequestHandler's buffer of the response head (CPython's, private, so not in typeshed):
    `_run` appends the body to it to send head and body in one write."""

    def _run(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        emulator: Emulator = self.server.emulator  # type: ignore[attr-defined]
        try:
            answer = emulator.handle(self.command, self.path, self.headers, body, self.client_address[0])
        except Exception:
            answer = _fail(errors.ApiError(500, errors.INTERNAL, errors.INTERNAL_MSG))
        data = answer.body.encode("utf-8")
        ctype = answer.headers.pop("Content-Type", "application/json")
        self.send_response(answer.status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for key, value in answer.headers.items():
            self.send_header(key, value)
        self._headers_buffer.append(b"\r\n" + data)  # one write: headers and body together
        self.flush_headers()

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _run
