"""Cloudflare record JSON <-> canonical Record. Conversion only: no requests here.

Shapes follow Cloudflare's API schema as the official SDK types it (`cloudflare/types/dns/*_record.py`):
names are FQDNs without the trailing dot; MX carries `priority` beside `content`; SRV, CAA, TLSA, SSHFP,
LOC, CERT, DNSKEY, DS, NAPTR, SMIMEA, HTTPS, SVCB and URI carry a structured `data` object (URI keeps
`priority` at top level). zonesync writes `data` for those types and reads it back, so it never depends
on how Cloudflare spells `content` for them.
"""

from __future__ import annotations

import base64
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import dns.name

from zonesync.model import PROXIABLE_TYPES, Record
from zonesync.zonefile import rdata

if TYPE_CHECKING:
    import dns.rdtypes.ANY.LOC

STRUCTURED_TYPES = frozenset(
    {"SRV", "CAA", "TLSA", "SSHFP", "LOC", "CERT", "DNSKEY", "DS", "NAPTR", "SMIMEA", "HTTPS", "SVCB", "URI"}
)

MANAGED_META_FLAGS = ("read_only", "auto_added", "managed_by_apps", "managed_by_argo_tunnel", "email_routing")
"""`meta` flags by which Cloudflare marks records that its own products manage (older API: `locked`)."""


@dataclass(frozen=True, slots=True)
class Skipped:
    """A live record zonesync will not touch, and why (read-only, managed, or a type it cannot recreate)."""

    name: str
    type: str
    content: str
    reason: str
    id: str = ""


def _host(name: str) -> str:
    name = name.strip()
    return name if name.endswith(".") else name + "."


def _loc_text(d: dict[str, Any]) -> str:
    def m(v: Any) -> str:
        return f"{float(v or 0):.2f}m"

    return (
        f"{d['lat_degrees']} {d.get('lat_minutes', 0)} {float(d.get('lat_seconds', 0)):.3f} {d['lat_direction']} "
        f"{d['long_degrees']} {d.get('long_minutes', 0)} {float(d.get('long_seconds', 0)):.3f} {d['long_direction']} "
        f"{m(d.get('altitude'))} {m(d.get('size'))} {m(d.get('precision_horz'))} {m(d.get('precision_vert'))}"
    )


def _data_text(rtype: str, d: dict[str, Any], priority: Any) -> str:
    """Structured `data` -> zone-file presentation (absolute names)."""
    if rtype == "SRV":
        prio = d.get("priority", priority)
        return f"{prio} {d['weight']} {d['port']} {_host(d['target'])}"
    if rtype == "CAA":
        return f"{d['flags']} {d['tag']} {rdata.quote(str(d['value']))}"
    if rtype in ("TLSA", "SMIMEA"):
        return f"{d['usage']} {d['selector']} {d['matching_type']} {d['certificate']}"
    if rtype == "SSHFP":
        return f"{d['algorithm']} {d['type']} {d['fingerprint']}"
    if rtype == "LOC":
        return _loc_text(d)
    if rtype == "CERT":
        return f"{d['type']} {d['key_tag']} {d['algorithm']} {d['certificate']}"
    if rtype == "DNSKEY":
        return f"{d['flags']} {d['protocol']} {d['algorithm']} {d['public_key']}"
    if rtype == "DS":
        return f"{d['key_tag']} {d['algorithm']} {d['digest_type']} {d['digest']}"
    if rtype == "NAPTR":
        return (
            f"{d['order']} {d['preference']} {rdata.quote(str(d.get('flags', '')))} {rdata.quote(str(d.get('service', '')))} "
            f"{rdata.quote(str(d.get('regex', '')))} {_host(d.get('replacement') or '.')}"
        )
    if rtype in ("HTTPS", "SVCB"):
        return f"{d['priority']} {_host(d.get('target') or '.')} {d.get('value', '')}".rstrip()
    if rtype == "URI":
        return f"{priority} {d['weight']} {rdata.quote(str(d['target']))}"
    raise KeyError(rtype)


def live_text(item: dict[str, Any]) -> str:
    """The presentation text of a live record's value (before canonicalisation)."""
    rtype = item["type"]
    content = item.get("content") or ""
    data = item.get("data")
    if rtype in STRUCTURED_TYPES and isinstance(data, dict) and data:
        return _data_text(rtype, data, item.get("priority"))
    if rtype == "MX":
        return f"{item.get('priority', 0)} {_host(content)}"
    if rtype in ("SRV", "URI") and item.get("priority") is not None:
        return f"{item['priority']} {content}"
    if rtype in ("CNAME", "NS", "PTR"):
        return _host(content)
    return content


WORKER_RECORD_REASON = "Worker custom domain (Cloudflare's own read-only record)"
"""Reason for the record Cloudflare creates for a Worker custom domain (`meta.origin_worker_id`, facts W7)."""


def managed_reason(item: dict[str, Any]) -> str | None:
    meta = item.get("meta") or {}
    if meta.get("origin_worker_id"):
        return WORKER_RECORD_REASON
    if item.get("locked"):
        return "locked by Cloudflare"
    for flag in MANAGED_META_FLAGS:
        if meta.get(flag):
            return f"managed by Cloudflare ({flag.replace('_', ' ')})"
    return None


_TTLS: dict[int, int] = {}
_TYPE_NAMES = {t: t for t in rdata.SUPPORTED_TYPES}
_SUPPORTED = frozenset(rdata.SUPPORTED_TYPES)
_ADDRESS_TYPES = frozenset({"A", "AAAA"})


def from_api(item: dict[str, Any], zone: str) -> Record | Skipped:
    """A record as the API lists it, checked (`cloudflare_schema.check_record`: every field present has
    its type) -> canonical Record, or Skipped with the reason."""
    rtype = item["type"]
    rtype = _TYPE_NAMES.get(rtype) or sys.intern(rtype.upper())  # one "A", not one per record
    name = sys.intern(item["name"].rstrip(".").lower())  # shared with the zone file's records
    rid = item.get("id", "")
    content = item.get("content") or ""
    if item.get("meta") or item.get("locked"):
        reason = managed_reason(item)
        if reason:
            return Skipped(name, rtype, content, reason, rid)
    if rtype not in _SUPPORTED:
        return Skipped(name, rtype, content, f"type {rtype} is not supported by zonesync", rid)
    try:
        if rtype == "TXT":
            value = rdata.txt_from_presentation(content)
        else:  # an address is its content (what live_text gives for it)
            text = content if rtype in _ADDRESS_TYPES else live_text(item)
            value = rdata.canonical_value(rtype, text, ".")
    except (rdata.ValueError_, KeyError, TypeError, ValueError) as exc:
        return Skipped(name, rtype, content, f"value zonesync cannot parse ({exc})", rid)
    tags = item.get("tags")
    ttl = item.get("ttl") or 1
    return Record(
        name,
        rtype,
        value,
        _TTLS.setdefault(ttl, ttl),  # one int object per distinct TTL
        bool(item.get("proxied")) if rtype in PROXIABLE_TYPES else None,
        item.get("comment") or None,
        tuple(sorted(tags)) if tags else (),
        rid,
    )


def _strip_dot(name: dns.name.Name | str) -> str:
    text = name.to_text() if isinstance(name, dns.name.Name) else name
    return text if text == "." else text.rstrip(".")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _loc_data(rd: dns.rdtypes.ANY.LOC.LOC) -> dict[str, Any]:
    def part(coord: tuple[int, int, int, int, int], pos: str, neg: str) -> tuple[int, int, float, str]:
        deg, minutes, sec, ms, sign = coord
        return deg, minutes, sec + ms / 1000.0, pos if sign >= 0 else neg

    lat = part(rd.latitude, "N", "S")
    lon = part(rd.longitude, "E", "W")
    return {
        "lat_degrees": lat[0], "lat_minutes": lat[1], "lat_seconds": lat[2], "lat_direction": lat[3],
        "long_degrees": lon[0], "long_minutes": lon[1], "long_seconds": lon[2], "long_direction": lon[3],
        "altitude": rd.altitude / 100.0, "size": rd.size / 100.0,
        "precision_horz": rd.horizontal_precision / 100.0, "precision_vert": rd.vertical_precision / 100.0,
    }  # fmt: skip


def _structured(rtype: str, rd: Any) -> tuple[dict[str, Any], int | None]:
    """dnspython rdata -> (Cloudflare `data`, top-level priority or None)."""
    if rtype == "SRV":
        return {
            "priority": rd.priority,
            "weight": rd.weight,
            "port": rd.port,
            "target": _strip_dot(rd.target),
        }, None
    if rtype == "CAA":
        return {"flags": rd.flags, "tag": rd.tag.decode(), "value": rd.value.decode()}, None
    if rtype in ("TLSA", "SMIMEA"):
        data = {
            "usage": rd.usage,
            "selector": rd.selector,
            "matching_type": rd.mtype,
            "certificate": rd.cert.hex(),
        }
        return data, None
    if rtype == "SSHFP":
        return {"algorithm": rd.algorithm, "type": rd.fp_type, "fingerprint": rd.fingerprint.hex()}, None
    if rtype == "LOC":
        return _loc_data(rd), None
    if rtype == "CERT":
        data = {"type": rd.certificate_type, "key_tag": rd.key_tag, "algorithm": rd.algorithm}
        return {**data, "certificate": _b64(rd.certificate)}, None
    if rtype == "DNSKEY":
        data = {"flags": rd.flags, "protocol": rd.protocol, "algorithm": int(rd.algorithm)}
        return {**data, "public_key": _b64(rd.key)}, None
    if rtype == "DS":
        data = {"key_tag": rd.key_tag, "algorithm": int(rd.algorithm), "digest_type": rd.digest_type}
        return {**data, "digest": rd.digest.hex()}, None
    if rtype == "NAPTR":
        return {
            "order": rd.order, "preference": rd.preference, "flags": rd.flags.decode(),
            "service": rd.service.decode(), "regex": rd.regexp.decode(), "replacement": _strip_dot(rd.replacement),
        }, None  # fmt: skip
    if rtype in ("HTTPS", "SVCB"):
        params = rd.to_text().split(" ", 2)
        return {
            "priority": rd.priority,
            "target": _strip_dot(rd.target),
            "value": params[2] if len(params) > 2 else "",
        }, None
    if rtype == "URI":
        return {"weight": rd.weight, "target": rd.target.decode()}, rd.priority
    raise KeyError(rtype)


def to_api(record: Record) -> dict[str, Any]:
    """A canonical Record -> the body Cloudflare takes for create (POST) and overwrite (PUT)."""
    body: dict[str, Any] = {"name": record.name, "type": record.type, "ttl": record.ttl}
    rtype = record.type
    if rtype == "TXT":
        body["content"] = rdata.txt_presentation(record.value)
    elif rtype in STRUCTURED_TYPES:
        rd = rdata.dns_rdata.from_text(rdata.dns_rdataclass.IN, rtype, record.value)
        body["data"], priority = _structured(rtype, rd)
        if priority is not None:
            body["priority"] = priority
    elif rtype == "MX":
        preference, _, host = record.value.partition(" ")
        body["priority"] = int(preference)
        body["content"] = _strip_dot(host)
    elif rtype in ("CNAME", "NS", "PTR"):
        body["content"] = _strip_dot(record.value)
    else:
        body["content"] = record.value
    if record.proxied is not None:
        body["proxied"] = record.proxied
    body["comment"] = record.comment or ""
    body["tags"] = list(record.tags)
    return body
