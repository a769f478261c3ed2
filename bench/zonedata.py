"""Deterministic zone data, written three ways from one list: zonesync zone file, octoDNS zone file, and
the Cloudflare API records the emulator is seeded with. Both tools therefore start from the same zone.

Every record is its own record set (one value per name), spread over A, AAAA, CNAME, MX and TXT, TTL 300,
not proxied: types and settings both tools map one-to-one onto Cloudflare without special cases.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

TTL = 300
KINDS = ("A", "A", "A", "A", "A", "AAAA", "CNAME", "MX", "TXT", "A")
"""The type of record i is KINDS[i % 10]: mostly A, like real zones."""


@dataclass(frozen=True, slots=True)
class Rec:
    """One record: relative name, type, presentation value (absolute names end with a dot), TTL."""

    name: str
    type: str
    value: str
    ttl: int = TTL


def _value(kind: str, i: int, variant: int = 0) -> str:
    if kind == "A":
        base = 10 + variant  # 10.x.y.z; updates move to 11.x.y.z
        return f"{base}.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}"
    if kind == "AAAA":
        return str(ipaddress.IPv6Address((0x20010DB8 << 96) | (variant << 32) | i))
    if kind == "CNAME":
        return f"{'moved' if variant else 'target'}{i}.example.net."
    if kind == "MX":
        return f"{10 + 10 * variant} mx{i}.example.net."
    return f"bench-{i}-{'rotated' if variant else 'token'}"


def make_records(count: int, prefix: str = "host", start: int = 0) -> list[Rec]:
    return [Rec(f"{prefix}{i}", KINDS[i % 10], _value(KINDS[i % 10], i)) for i in range(start, start + count)]


def updated(rec: Rec) -> Rec:
    """The same record set with a new value (an in-place update for both tools)."""
    i = int("".join(ch for ch in rec.name if ch.isdigit()))
    return replace(rec, value=_value(rec.type, i, variant=1))


def spread(count: int, total: int, offset: int) -> list[int]:
    """`count` indices spread evenly over range(total), starting at `offset` (disjoint for offsets < step)."""
    if count <= 0:
        return []
    step = max(1, total // count)
    return [(offset + k * step) % total for k in range(count)]


@dataclass(frozen=True)
class ChangeMix:
    creates: int
    updates: int
    deletes: int

    @property
    def total(self) -> int:
        return self.creates + self.updates + self.deletes

    @classmethod
    def split(cls, changes: int) -> ChangeMix:
        """Creates, updates and deletes mixed: 40 % / 30 % / 30 % (at least one update when changes >= 3)."""
        updates = round(changes * 0.3)
        deletes = round(changes * 0.3)
        return cls(changes - updates - deletes, updates, deletes)


def desired_after(base: Sequence[Rec], mix: ChangeMix, new_prefix: str = "new") -> list[Rec]:
    """`base` with mix.updates records updated, mix.deletes removed and mix.creates added."""
    n = len(base)
    if mix.updates + mix.deletes > n:
        raise ValueError(f"{mix.updates} updates + {mix.deletes} deletes do not fit in {n} records")
    upd = set(spread(mix.updates, n, 1))
    dele = set(spread(mix.deletes, n, 2)) - upd
    k = 3
    while len(dele) < mix.deletes:  # only for tiny zones where the spreads collide
        if k % n not in upd:
            dele.add(k % n)
        k += 1
    out = [updated(r) if i in upd else r for i, r in enumerate(base) if i not in dele]
    out.extend(make_records(mix.creates, prefix=new_prefix))
    return out


# -- writers ---------------------------------------------------------------------------------------------


def _q(text: str) -> str:
    return json.dumps(text)  # a JSON string is a valid YAML double-quoted scalar


def zonesync_yaml(zone: str, records: Iterable[Rec]) -> str:
    """Zone file format v1, block style like zones/example.com.yaml."""
    lines = [f"zone: {zone}", f"ttl: {TTL}", "records:"]
    for r in records:
        lines.append(f"  {r.name}:")
        lines.append(f"    type: {r.type}")
        lines.append(f"    value: {_q(r.value)}")
        if r.ttl != TTL:
            lines.append(f"    ttl: {r.ttl}")
    return "\n".join(lines) + "\n"


def octodns_yaml(records: Iterable[Rec]) -> str:
    """octoDNS YamlProvider format: one key per name, `value` per type (MX as preference/exchange)."""
    lines = ["---"]
    for r in records:
        lines.append(f"{r.name}:")
        lines.append(f"  ttl: {r.ttl}")
        lines.append(f"  type: {r.type}")
        if r.type == "MX":
            pref, _, exchange = r.value.partition(" ")
            lines.append("  value:")
            lines.append(f"    exchange: {exchange}")
            lines.append(f"    preference: {pref}")
        else:
            lines.append(f"  value: {_q(r.value)}")
    return "\n".join(lines) + "\n"


def api_record(zone: str, r: Rec) -> dict[str, Any]:
    """The record as Cloudflare's API takes it (POST /zones/:id/dns_records)."""
    body: dict[str, Any] = {
        "name": f"{r.name}.{zone}" if r.name != "@" else zone,
        "type": r.type,
        "ttl": r.ttl,
    }
    if r.type == "MX":
        pref, _, exchange = r.value.partition(" ")
        body["priority"] = int(pref)
        body["content"] = exchange.rstrip(".")
    elif r.type == "CNAME":
        body["content"] = r.value.rstrip(".")
    else:
        body["content"] = r.value
    if r.type in ("A", "AAAA", "CNAME"):
        body["proxied"] = False
    return body


def canonical(zone: str, items: Iterable[dict[str, Any]]) -> set[tuple[str, str, str, int]]:
    """(name, type, value, ttl) of API records in zonesync's canonical form, to compare a zone after apply
    with the records it should hold, whoever wrote them."""
    from zonesync.cloudflare.records import Skipped, from_api

    out = set()
    for item in items:
        rec = from_api(item, zone)
        if isinstance(rec, Skipped):
            out.add((rec.name, rec.type, "skipped: " + rec.reason, 0))
        else:
            out.add((rec.name, rec.type, rec.value, rec.ttl))
    return out


def expected(zone: str, records: Iterable[Rec]) -> set[tuple[str, str, str, int]]:
    return canonical(zone, (api_record(zone, r) for r in records))
