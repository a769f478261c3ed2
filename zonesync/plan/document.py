"""The plan as JSON: the document `plan --format json` prints and `plan --out` saves.

One document, one published schema (zonesync/schemas/plan.schema.json): what CI tooling reads is what
`zonesync apply PLAN.json` applies. Records carry every field the API needs (ids included), so applying a
saved plan never re-derives anything from the zone files. `zonesync.plan.saved_plan` seals the document with a
digest of its body, so a plan printed with `--format json` is also a valid saved plan.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from zonesync import __version__
from zonesync.base.escape import json_text
from zonesync.model import Record, Source
from zonesync.plan import safety
from zonesync.plan.model import Change, Plan, ZonePlan

if TYPE_CHECKING:
    from zonesync.mail.mta_sts_worker import Domain, Script
    from zonesync.plan.model import WorkerChange, WorkerPlan
    from zonesync.zonefile.config import ZoneConfig

FORMAT = "zonesync-plan"
VERSION = 1


def record_json(rec: Record) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": rec.id,
        "name": rec.name,
        "type": rec.type,
        "value": rec.value,
        "ttl": rec.ttl,
        "proxied": rec.proxied,
        "comment": rec.comment,
        "tags": list(rec.tags),
    }
    if rec.pending:
        out["pending"] = True
    if rec.source is not None:
        src = rec.source
        out["source"] = {"path": src.path, "line": src.line, "field": src.field, "origin": src.origin}
    return out


def _field_json(value: object) -> object:
    return list(value) if isinstance(value, tuple) else value


def change_json(change: Change) -> dict[str, Any]:
    out: dict[str, Any] = {
        "action": change.action,
        "name": change.name,
        "type": change.type,
        "before": record_json(change.before) if change.before else None,
        "after": record_json(change.after) if change.after else None,
    }
    if change.action == "update":
        out["fields"] = [
            {"field": f, "before": _field_json(old), "after": _field_json(new)}
            for f, old, new in change.changed_fields()
        ]
    return out


def _worker_item_json(item: Script | Domain | None) -> dict[str, Any] | None:
    from zonesync.mail.mta_sts_worker import Script

    if item is None:
        return None
    if isinstance(item, Script):
        return {"name": item.name, "content": item.content, "etag": item.etag, "tags": list(item.tags)}
    return {"hostname": item.hostname, "service": item.service, "id": item.id}


def worker_change_json(change: WorkerChange) -> dict[str, Any]:
    return {
        "action": change.action,
        "kind": change.kind,
        "name": change.name,
        "before": _worker_item_json(change.before),
        "after": _worker_item_json(change.after),
    }


def workers_json(wp: WorkerPlan | None) -> dict[str, Any] | None:
    """The Worker serving the MTA-STS policy: the state it was planned against and its changes (scripts
    carry their whole text, so applying a saved plan re-derives nothing)."""
    if wp is None:
        return None
    return {
        "hostname": wp.hostname,
        "scripts": list(wp.scripts),
        "fingerprint": wp.fingerprint,
        "changes": [worker_change_json(c) for c in wp.changes],
    }


def zone_json(zp: ZonePlan, config: ZoneConfig | None = None, force: bool = False) -> dict[str, Any]:
    limits = safety.limits_for(config) if config is not None else safety.DEFAULT
    return {
        "zone": zp.zone,
        "zone_id": zp.zone_id,
        "path": zp.path,
        "fingerprint": zp.fingerprint,
        "live_records": zp.live_count,
        "managed_records": safety.managed_count(zp),
        "ignored": zp.ignored,
        "ignore": [
            {"name": rule.name, "types": list(rule.types)} for rule in (config.ignore if config else ())
        ],
        "counts": zp.counts(),
        "changes": [change_json(c) for c in zp.changes],
        "workers": workers_json(zp.workers),
        "dnssec": zp.dnssec.to_json() if zp.dnssec is not None else None,
        "skipped": [
            {"name": s.name, "type": s.type, "content": s.content, "reason": s.reason} for s in zp.skipped
        ],
        "warnings": [{"source": str(w.source), "message": w.message} for w in zp.warnings],
        "safety": {
            "limits": limits.to_json(),
            "unsafe": safety.check(zp, limits, force) if zp.has_changes else None,
        },
    }


def document(
    plan: Plan, configs: Mapping[str, ZoneConfig] | Sequence[ZoneConfig] = (), force: bool = False
) -> dict[str, Any]:
    """The plan as a JSON-ready dict, without its digest (`planfile.seal` adds it)."""
    by_zone = configs if isinstance(configs, Mapping) else {c.zone: c for c in configs}
    return {
        "format": FORMAT,
        "version": VERSION,
        "zonesync": __version__,
        "has_changes": plan.has_changes,
        "counts": plan.counts(),
        "zones": [zone_json(zp, by_zone.get(zp.zone), force) for zp in plan.zones],
    }


def dumps(doc: Mapping[str, Any]) -> str:
    """The document as text: readable UTF-8, every character a terminal or a UTF-8 reader chokes on
    JSON-escaped (`zonesync.base.escape.json_text`: a byte that was not UTF-8 is `\\udcXX`, which
    `json.loads` reads back as the same value)."""
    return json_text(json.dumps(doc, indent=2, ensure_ascii=False)) + "\n"


def record_from_json(data: Mapping[str, Any]) -> Record:
    src = data.get("source")
    source = (
        Source(src["path"], src.get("line"), src.get("field"), src.get("origin"))
        if isinstance(src, Mapping)
        else None
    )
    return Record(
        name=data["name"],
        type=data["type"],
        value=data["value"],
        ttl=int(data["ttl"]),
        proxied=data.get("proxied"),
        comment=data.get("comment"),
        tags=tuple(data.get("tags") or ()),
        id=data.get("id"),
        source=source,
        pending=bool(data.get("pending", False)),
    )


def change_from_json(data: Mapping[str, Any]) -> Change:
    before = record_from_json(data["before"]) if data.get("before") else None
    after = record_from_json(data["after"]) if data.get("after") else None
    return Change(data["action"], before, after)


def _worker_item_from_json(kind: str, data: Mapping[str, Any] | None) -> Script | Domain | None:
    from zonesync.mail.mta_sts_worker import Domain, Script

    if data is None:
        return None
    if kind == "script":
        return Script(data["name"], data["content"], data.get("etag"), tuple(data.get("tags") or ()))
    return Domain(data["hostname"], data["service"], data.get("id"))


def workers_from_json(data: Mapping[str, Any] | None) -> WorkerPlan | None:
    from zonesync.plan.model import WorkerChange, WorkerPlan

    if data is None:
        return None
    changes = tuple(
        WorkerChange(
            c["action"],
            c["kind"],
            _worker_item_from_json(c["kind"], c.get("before")),
            _worker_item_from_json(c["kind"], c.get("after")),
        )
        for c in data["changes"]
    )
    return WorkerPlan(data["hostname"], tuple(data["scripts"]), data["fingerprint"], changes)
