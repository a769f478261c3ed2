"""Zones and DNS records in memory: indexes, cached list views, transactions, JSON persistence.

One ``RLock`` serialises every read and write (the HTTP server is threaded). Writes go through
``Zone.set`` which keeps the (name -> records) index, a version counter (invalidating cached list views)
and a per-record JSON cache (so a 10k-record page is a string join, not 10k ``json.dumps`` calls).
A batch is applied operation by operation with an undo log, so a failure anywhere rolls everything back
(docs ``dns/manage-dns-records/how-to/batch-record-changes.mdx``: "no changes are applied").
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import tempfile
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from . import errors
from .dnssec import ZoneDnssec
from .validation import build, check_conflicts, is_read_only, merge_patch

PLANS = {
    "free": ("0feeeeeeeeeeeeeeeeeeeeeeeeeeeeee", "Free Website", 0),
    "pro": ("a577b510288e82b26486fa3e8c6a1f9b", "Pro Website", 20),
    "business": ("bf7ed4f2a6f2425c44bd2e0c2ab9a8e2", "Business Website", 200),
    "enterprise": ("9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a", "Enterprise Website", 5000),
}
BATCH_LIMITS = {"free": 200}  # docs batch-record-changes.mdx: Free 200, Pro/Business/Enterprise 3,500
PAID_BATCH_LIMIT = 3500
ACCOUNT_ID = "01a7362d577a6c3019a474fd6f485823"
NAME_SERVERS = ["ada.ns.cloudflare.com", "bob.ns.cloudflare.com"]
VIEW_CACHE = 8


def now() -> str:
    """Cloudflare's timestamp form: ``2026-01-01T00:00:00.000000Z`` (facts, last paragraph)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def new_id() -> str:
    return uuid.uuid4().hex


def zone_id_for(name: str) -> str:
    """Deterministic 32-hex zone id, so out-of-process tests can predict it."""
    return hashlib.md5(f"zone:{name}".encode()).hexdigest()


def is_identifier(value: str) -> bool:
    return len(value) == 32 and all(c in "0123456789abcdef" for c in value)


def _modified_on(old: dict[str, Any] | None, field: str, value: Any, ts: str) -> Any:
    """When `field` (comment, tags) last changed: the `old` record's time when it held `value` too and has
    one, else `ts`."""
    key = f"{field}_modified_on"
    if old is not None and old.get(field) == value and key in old:
        return old[key]
    return ts


def _sort_key(order: str) -> Any:
    if order == "name":
        return lambda r: (r["name"], r["type"], r["content"])
    if order == "content":
        return lambda r: (r["content"].lower(), r["type"], r["name"])
    if order == "ttl":
        return lambda r: r["ttl"]
    if order == "proxied":
        return lambda r: r["proxied"]
    return lambda r: (r["type"], r["name"], r["content"])


class Zone:
    """One zone: its records by id, a by-name index, and cached sorted/filtered views."""

    def __init__(
        self,
        name: str,
        plan: str,
        zone_id: str | None = None,
        created_on: str | None = None,
        account_id: str = ACCOUNT_ID,
    ) -> None:
        self.id = zone_id or zone_id_for(name if account_id == ACCOUNT_ID else f"{account_id}/{name}")
        self.account_id = account_id
        self.name = name
        self.plan = plan
        self.created_on = created_on or now()
        self.records: dict[str, dict[str, Any]] = {}
        self.by_name: dict[str, dict[str, dict[str, Any]]] = {}
        self.version = 0
        self.dnssec: Any = None
        """The zone's DNSSEC keys and state (`emulator.dnssec.ZoneDnssec`), None while never enabled."""
        self._json: dict[str, str] = {}
        self._views: dict[Any, tuple[int, list[dict[str, Any]]]] = {}

    def obj(self) -> dict[str, Any]:
        """The zone object as ``GET /zones`` returns it (SDK ``types/zones/zone.py``)."""
        plan_id, plan_name, price = PLANS.get(self.plan, PLANS["free"])
        return {
            "id": self.id,
            "name": self.name,
            "status": "active",
            "paused": False,
            "type": "full",
            "development_mode": 0,
            "name_servers": list(NAME_SERVERS),
            "original_name_servers": None,
            "original_registrar": None,
            "original_dnshost": None,
            "modified_on": self.created_on,
            "created_on": self.created_on,
            "activated_on": self.created_on,
            "vanity_name_servers": [],
            "meta": {
                "step": 2,
                "custom_certificate_quota": 0,
                "page_rule_quota": 3,
                "phishing_detected": False,
                "cdn_only": False,
                "dns_only": False,
                "foundation_dns": False,
            },
            "owner": {"id": None, "type": "user", "email": None},
            "account": {"id": self.account_id, "name": f"Emulated account {self.account_id[:6]}"},
            "tenant": {"id": None, "name": None},
            "tenant_unit": {"id": None},
            "permissions": ["#dns_records:edit", "#dns_records:read", "#zone:read"],
            "plan": {
                "id": plan_id,
                "name": plan_name,
                "price": price,
                "currency": "USD",
                "frequency": "monthly" if price else "",
                "is_subscribed": True,
                "can_subscribe": False,
                "legacy_id": self.plan,
                "legacy_discount": False,
                "externally_managed": False,
            },
        }

    # -- raw writes (keep indexes and caches right) --------------------------------------------------
    def set(self, rid: str, rec: dict[str, Any] | None) -> None:
        old = self.records.pop(rid, None)
        if old is not None:
            at = self.by_name.get(old["name"])
            if at is not None:
                at.pop(rid, None)
                if not at:
                    del self.by_name[old["name"]]
        self._json.pop(rid, None)
        if rec is not None:
            self.records[rid] = rec
            self.by_name.setdefault(rec["name"], {})[rid] = rec
        self.version += 1

    def at_name(self, name: str, exclude: str | None = None) -> list[dict[str, Any]]:
        return [r for rid, r in self.by_name.get(name, {}).items() if rid != exclude]

    def record_json(self, rec: dict[str, Any]) -> str:
        text = self._json.get(rec["id"])
        if text is None:
            text = json.dumps(rec, separators=(",", ":"))
            self._json[rec["id"]] = text
        return text

    def view(self, key: Any, compute: Any) -> list[dict[str, Any]]:
        hit = self._views.get(key)
        if hit is not None and hit[0] == self.version:
            return hit[1]
        result = compute()
        if len(self._views) >= VIEW_CACHE:
            self._views.pop(next(iter(self._views)))
        self._views[key] = (self.version, result)
        return result


class Store:
    """All zones, guarded by one lock; every mutating method persists afterwards when a state path is set."""

    def __init__(
        self, plan: str = "free", batch_limit: int | None = None, state_path: str | None = None
    ) -> None:
        self.lock = threading.RLock()
        self.dnssec: Any = None
        """The DNSSEC resource (`emulator.dnssec.Dnssec`: its knobs), set by the emulator."""
        self.plan = plan
        self.batch_limit = batch_limit
        self.state_path = state_path
        self.zones: dict[str, Zone] = {}
        self.zone_by_name: dict[str, Zone] = {}
        self.zone_in_account: dict[tuple[str, str], Zone] = {}
        self.scripts: dict[str, dict[str, Any]] = {}  # Workers scripts by "<account>/<name>" (workers.py)
        self.domains: dict[str, dict[str, Any]] = {}  # Workers custom domains by id

    # -- zones ----------------------------------------------------------------------------------------
    def create_zone(
        self, name: str, plan: str | None = None, zone_id: str | None = None, account_id: str | None = None
    ) -> Zone:
        """A zone in an account (default: the emulator's own). Two accounts may hold the same name, as at
        Cloudflare; `zone_by_name` keeps the first, for the test helpers."""
        name = name.strip().rstrip(".").lower()
        account = account_id or ACCOUNT_ID
        with self.lock:
            existing = self.zone_in_account.get((account, name))
            if existing is not None:
                return existing
            zone = Zone(name, plan or self.plan, zone_id, account_id=account)
            self.zones[zone.id] = zone
            self.zone_in_account[(account, name)] = zone
            self.zone_by_name.setdefault(name, zone)
            return zone

    def zone(self, zone_id: str, path: str) -> Zone:
        """Resolve a zone id from a URL: malformed -> 404 7003 (facts #10a); unknown -> 404 1001 (chosen)."""
        if not is_identifier(zone_id):
            raise errors.ApiError(
                404, errors.NO_ROUTE, f"Could not route to {path}, perhaps your object identifier is invalid?"
            )
        zone = self.zones.get(zone_id)
        if zone is None:
            raise errors.ApiError(404, errors.INVALID_ZONE, errors.INVALID_ZONE_MSG)
        return zone

    def zone_named(self, name: str) -> Zone:
        zone = self.zone_by_name.get(name.strip().rstrip(".").lower())
        if zone is None:
            raise KeyError(name)
        return zone

    def batch_limit_for(self, zone: Zone) -> int:
        if self.batch_limit is not None:
            return self.batch_limit
        return BATCH_LIMITS.get(zone.plan, PAID_BATCH_LIMIT)

    # -- record writes ----------------------------------------------------------------------------------
    def _stamp(self, fields: dict[str, Any], old: dict[str, Any] | None, meta: dict[str, Any] | None) -> dict:
        ts = now()
        rec: dict[str, Any] = {"id": old["id"] if old else new_id()}
        for key in ("name", "type", "content", "priority", "data"):
            if key in fields:
                rec[key] = fields[key]
        for key in ("proxiable", "proxied", "ttl", "settings"):
            rec[key] = fields[key]
        rec["meta"] = dict(meta if meta is not None else (old["meta"] if old else {}))
        rec["comment"] = fields["comment"]
        rec["tags"] = fields["tags"]
        rec["created_on"] = old["created_on"] if old else ts
        rec["modified_on"] = ts
        if rec["comment"] is not None:
            rec["comment_modified_on"] = _modified_on(old, "comment", rec["comment"], ts)
        if rec["tags"]:
            rec["tags_modified_on"] = _modified_on(old, "tags", rec["tags"], ts)
        return rec

    def _create(
        self, zone: Zone, body: Any, undo: list, meta: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        fields = build(zone.name, zone.plan, body)
        check_conflicts(zone.name, fields, zone.at_name(fields["name"]))
        rec = self._stamp(fields, None, meta)
        undo.append((rec["id"], None))
        zone.set(rec["id"], rec)
        return rec

    def _existing(self, zone: Zone, rid: Any) -> dict[str, Any]:
        rec = zone.records.get(rid) if isinstance(rid, str) else None
        if rec is None:
            raise errors.ApiError(404, errors.RECORD_NOT_FOUND, errors.RECORD_NOT_FOUND_MSG)
        return rec

    def _update(self, zone: Zone, rid: Any, body: Any, patch: bool, undo: list) -> dict[str, Any]:
        old = self._existing(zone, rid)
        if not isinstance(body, dict):
            raise errors.ApiError(400, errors.BAD_BODY, errors.BAD_BODY_MSG)
        if is_read_only(old):
            raise errors.ApiError(400, errors.READ_ONLY, errors.READ_ONLY_MSG)
        fields = build(zone.name, zone.plan, merge_patch(old, body) if patch else body)
        check_conflicts(zone.name, fields, zone.at_name(fields["name"], exclude=rid))
        rec = self._stamp(fields, old, None)
        undo.append((rid, old))
        zone.set(rid, rec)
        return rec

    def _delete(self, zone: Zone, rid: Any, undo: list) -> dict[str, Any]:
        old = self._existing(zone, rid)
        if is_read_only(old):
            raise errors.ApiError(400, errors.READ_ONLY, errors.READ_ONLY_MSG)
        undo.append((rid, old))
        zone.set(rid, None)
        return old

    @contextlib.contextmanager
    def _transaction(self, zone: Zone) -> Iterator[list]:
        undo: list[tuple[str, dict[str, Any] | None]] = []
        with self.lock:
            try:
                yield undo
            except BaseException:
                for rid, old in reversed(undo):
                    zone.set(rid, old)
                raise
            if undo:
                self.save()

    def create(self, zone: Zone, body: Any, meta: dict[str, Any] | None = None) -> dict[str, Any]:
        with self._transaction(zone) as undo:
            return self._create(zone, body, undo, meta)

    def update(self, zone: Zone, rid: str, body: Any, patch: bool) -> dict[str, Any]:
        with self._transaction(zone) as undo:
            return self._update(zone, rid, body, patch, undo)

    def delete(self, zone: Zone, rid: str) -> dict[str, Any]:
        with self._transaction(zone) as undo:
            return self._delete(zone, rid, undo)

    def batch(self, zone: Zone, body: Any) -> dict[str, list[dict[str, Any]]]:
        """deletes -> patches -> puts -> posts as one transaction; the error names the failing operation."""
        if not isinstance(body, dict):
            raise errors.ApiError(400, errors.BAD_BODY, errors.BAD_BODY_MSG)
        ops = {}
        for kind in ("deletes", "patches", "puts", "posts"):
            value = body.get(kind) or []
            if not isinstance(value, list):
                raise errors.ApiError(400, errors.BAD_BODY, f"{kind}: {errors.BAD_BODY_MSG}")
            ops[kind] = value
        total = sum(len(v) for v in ops.values())
        limit = self.batch_limit_for(zone)
        if total > limit:
            raise errors.ApiError(
                400,
                errors.BATCH_TOO_LARGE,
                f"Too many operations in one batch: {total}; the maximum for this zone's plan is {limit}.",
            )
        result: dict[str, list[dict[str, Any]]] = {k: [] for k in ops}
        with self._transaction(zone) as undo:
            for kind, items in ops.items():
                for i, item in enumerate(items):
                    try:
                        if not isinstance(item, dict):
                            raise errors.ApiError(400, errors.BAD_BODY, errors.BAD_BODY_MSG)
                        if kind == "deletes":
                            result[kind].append(self._delete(zone, item.get("id"), undo))
                        elif kind == "posts":
                            result[kind].append(self._create(zone, item, undo))
                        else:
                            body_i = {k: v for k, v in item.items() if k != "id"}
                            result[kind].append(
                                self._update(zone, item.get("id"), body_i, kind == "patches", undo)
                            )
                    except errors.ApiError as exc:
                        raise exc.prefixed(f"{kind}[{i}]") from None
        return result

    # -- reads --------------------------------------------------------------------------------------------
    def list_records(self, zone: Zone, query: dict[str, str]) -> tuple[list[dict[str, Any]], dict[str, int]]:
        """One page of a filtered, sorted record list plus ``result_info`` (facts #18a, #19)."""
        page, per_page = pagination(query, default=100, low=1, high=5_000_000)
        order = query.get("order", "type")
        if order not in ("type", "name", "content", "ttl", "proxied"):
            order = "type"
        reverse = query.get("direction", "asc") == "desc"
        filters = record_filters(query)
        match_any = query.get("match", "all") == "any"
        key = (tuple(sorted(filters.items())), match_any, order, reverse)
        with self.lock:
            rows = zone.view(key, lambda: self._select(zone, filters, match_any, order, reverse))
            start = (page - 1) * per_page
            chunk = rows[start : start + per_page]
            return chunk, result_info(page, per_page, len(chunk), len(rows))

    def _select(
        self, zone: Zone, filters: dict[str, str], match_any: bool, order: str, reverse: bool
    ) -> list[dict[str, Any]]:
        if not match_any and "name.exact" in filters:
            candidates = list(zone.by_name.get(filters["name.exact"], {}).values())
        else:
            candidates = list(zone.records.values())
        if filters:
            tests = [_record_test(k, v) for k, v in filters.items()]
            if match_any:
                candidates = [r for r in candidates if any(t(r) for t in tests)]
            else:
                candidates = [r for r in candidates if all(t(r) for t in tests)]
        candidates.sort(key=_sort_key(order), reverse=reverse)
        return candidates

    def list_zones(
        self, query: dict[str, str], accounts: frozenset[str] | None = None
    ) -> tuple[list[dict[str, Any]], dict[str, int]]:
        """``GET /zones``: only the zones of the accounts the token may see (None: every account)."""
        page, per_page = pagination(query, default=20, low=5, high=50)
        tests = []
        if "name" in query:
            tests.append(_zone_name_test(query["name"]))
        if "status" in query:
            tests.append(lambda z, s=query["status"]: s == "active")
        if "account.id" in query:
            tests.append(lambda z, a=query["account.id"]: a == z.account_id)
        match_any = query.get("match", "all") == "any"
        with self.lock:
            visible = [z for z in self.zones.values() if accounts is None or z.account_id in accounts]
            zones = sorted(visible, key=lambda z: z.name, reverse=query.get("direction") == "desc")
            if tests:
                combine = any if match_any else all
                zones = [z for z in zones if combine(t(z) for t in tests)]
            start = (page - 1) * per_page
            chunk = [z.obj() for z in zones[start : start + per_page]]
            return chunk, result_info(page, per_page, len(chunk), len(zones))

    # -- persistence --------------------------------------------------------------------------------------
    def dump(self) -> str:
        """The whole state as JSON text (per-record JSON comes from the cache)."""
        parts = []
        for zone in self.zones.values():
            head = json.dumps(
                {
                    "id": zone.id,
                    "name": zone.name,
                    "plan": zone.plan,
                    "created_on": zone.created_on,
                    "account_id": zone.account_id,
                }
            )
            recs = ",".join(zone.record_json(r) for r in zone.records.values())
            dnssec = "" if zone.dnssec is None else ',"dnssec":' + json.dumps(zone.dnssec.to_state())
            parts.append(head[:-1] + dnssec + ',"records":[' + recs + "]}")
        workers = json.dumps({"scripts": list(self.scripts.values()), "domains": list(self.domains.values())})
        return '{"version":1,"zones":[' + ",".join(parts) + '],"workers":' + workers + "}"

    def save(self) -> None:
        """Atomic write: temp file in the same directory, fsync, ``os.replace``."""
        if not self.state_path:
            return
        with self.lock:
            text = self.dump()
            directory = os.path.dirname(os.path.abspath(self.state_path))
            fd, tmp = tempfile.mkstemp(prefix=".emulator-state-", dir=directory)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    fh.write(text)
                    fh.flush()
                    os.fsync(fh.fileno())
                os.replace(tmp, self.state_path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise

    def load_state(self, data: dict[str, Any]) -> None:
        """Load a saved state (trusted: records keep their ids and timestamps, no re-validation)."""
        with self.lock:
            for z in data.get("zones", []):
                zone = self.create_zone(z["name"], z.get("plan"), z.get("id"), z.get("account_id"))
                if z.get("created_on"):
                    zone.created_on = z["created_on"]
                for rec in z.get("records", []):
                    zone.set(rec["id"], rec)
                if z.get("dnssec"):
                    zone.dnssec = ZoneDnssec.from_state(z["dnssec"])
            workers = data.get("workers") or {}
            for script in workers.get("scripts", []):
                script.setdefault("account_id", ACCOUNT_ID)
                self.scripts[f"{script['account_id']}/{script['id']}"] = script
            for domain in workers.get("domains", []):
                domain.setdefault("account_id", ACCOUNT_ID)
                self.domains[domain["id"]] = domain

    def load_seed(self, data: Any) -> None:
        """Seed zones/records: ``{"zones": [{"name", "plan"?, "account_id"?, "records": [request-shaped records]}]}``.

        Records go through validation like an API create; ``meta`` (e.g. ``{"read_only": true}``) is kept.
        A zone may also be just a name string; a top-level mapping ``{zone_name: [records]}`` works too.
        """
        zones = data.get("zones", []) if isinstance(data, dict) and "zones" in data else data
        if isinstance(zones, dict):
            zones = [{"name": k, "records": v} for k, v in zones.items()]
        with self.lock:
            for z in zones:
                if isinstance(z, str):
                    z = {"name": z}
                zone = self.create_zone(z["name"], z.get("plan"), z.get("id"), z.get("account_id"))
                for rec in z.get("records", []):
                    self.add(zone, rec, save=False)
            self.save()

    def add(self, zone: Zone, body: dict[str, Any], save: bool = True) -> dict[str, Any]:
        """Create a record behind the client's back (seed / test helper): validated, ``meta`` kept."""
        meta = body.get("meta") or {}
        fields = {k: v for k, v in body.items() if k not in ("meta", "id", "created_on", "modified_on")}
        undo: list = []
        with self.lock:
            rec = self._create(zone, fields, undo, meta)
            if body.get("id"):
                zone.set(rec["id"], None)
                rec["id"] = body["id"]
                zone.set(rec["id"], rec)
            if save:
                self.save()
        return rec


def pagination(query: dict[str, str], default: int, low: int, high: int) -> tuple[int, int]:
    """``page``/``per_page``: non-integers -> 400 1002; out-of-range ``per_page`` is clamped (chosen)."""
    try:
        page = int(query.get("page", 1))
        per_page = int(query.get("per_page", default))
    except ValueError:
        raise errors.ApiError(
            400, errors.BAD_PARAM, "Invalid pagination parameters: page and per_page must be integers."
        ) from None
    return max(page, 1), min(max(per_page, low), high)


def result_info(page: int, per_page: int, count: int, total: int) -> dict[str, int]:
    total_pages = max(1, math.ceil(total / per_page))
    return {
        "page": page,
        "per_page": per_page,
        "count": count,
        "total_count": total,
        "total_pages": total_pages,
    }


def record_filters(query: dict[str, str]) -> dict[str, str]:
    """Normalised filters: ``name``/``content`` mean ``.exact``; ``x[y]`` spells the same as ``x.y``."""
    out: dict[str, str] = {}
    for raw, value in query.items():
        key = raw.replace("[", ".").replace("]", "")
        if key in ("name", "content", "comment"):
            key += ".exact"
        field = key.split(".", 1)[0]
        if field in ("name", "content", "comment", "tag") or key in ("type", "proxied"):
            if field == "name" and key != "name.exact":
                value = value.lower()
            if key == "name.exact":
                value = value.strip().rstrip(".").lower()
            out[key] = value
    return out


def _record_test(key: str, value: str) -> Any:
    if key == "type":
        return lambda r: r["type"] == value.upper()
    if key == "proxied":
        wanted = value.lower() == "true"
        return lambda r: r["proxied"] == wanted
    if key == "tag" or key == "tag.exact":
        return lambda r: any(t == value or t.split(":", 1)[0] == value for t in r["tags"])
    if key == "tag.present":
        return lambda r: any(t.split(":", 1)[0] == value for t in r["tags"])
    if key == "tag.absent":
        return lambda r: all(t.split(":", 1)[0] != value for t in r["tags"])
    field, _, op = key.partition(".")
    low = value.lower()
    if op == "present":
        return lambda r: r.get(field) is not None
    if op == "absent":
        return lambda r: r.get(field) is None

    def get(r: dict[str, Any]) -> str:
        return (r.get(field) or "").lower()

    if op == "contains":
        return lambda r: low in get(r)
    if op == "startswith":
        return lambda r: get(r).startswith(low)
    if op == "endswith":
        return lambda r: get(r).endswith(low)
    return lambda r: get(r) == low


def _zone_name_test(spec: str) -> Any:
    """``name`` filter of ``GET /zones``: exact, or ``contains:``/``starts_with:``/``ends_with:`` operators."""
    op, sep, value = spec.partition(":")
    if not sep or op not in ("contains", "starts_with", "ends_with", "equal", "not_equal"):
        op, value = "equal", spec
    value = value.rstrip(".").lower()
    return {
        "contains": lambda z: value in z.name,
        "starts_with": lambda z: z.name.startswith(value),
        "ends_with": lambda z: z.name.endswith(value),
        "equal": lambda z: z.name == value,
        "not_equal": lambda z: z.name != value,
    }[op]
