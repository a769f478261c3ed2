"""A saved plan's body checked field by field, with the strictness of a zone file, before anything reads it.

A valid digest (or signature) says the file is the one that was written, not that what was written is a
plan zonesync can apply: a plan sealed by other code, by an older or buggy writer, or re-sealed by someone
holding the key can hold an unknown action, a create without its record, a list where a value belongs, or a
name outside its zone, which Cloudflare would read as a name inside it. `check_body` refuses all of these
with one line naming the file and the field as a JSON path (`plan.json: $.zones[0].changes[3].after.ttl:
...`), before any request: the layout is zonesync/schemas/plan.schema.json, plus what the schema cannot say
(names inside the plan's zone, record types zonesync knows, values that parse, counts that add up).

The top level may hold members this checker does not read (the signed creation and expiry times are
checked where they are used); every other object is closed: an unknown member is an error. Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from zonesync.errors import ZonesyncError
from zonesync.model import AUTO_TTL, PROXIABLE_TYPES, Record
from zonesync.zonefile import names, rdata
from zonesync.zonefile.record_limits import check_records

ACTIONS = ("create", "update", "delete")
FIELDS = ("value", "ttl", "proxied", "comment", "tags")
WORKER_KINDS = ("script", "domain")
MIN_TTL, MAX_TTL = 30, 86400
"""The widest TTL range Cloudflare takes (30 on Enterprise; `zonesync.zonefile.load` holds each plan's range)."""

_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
_LIMIT = re.compile(r"off|[0-9]+|[0-9]+(\.[0-9]+)?%")


class BadPlan(ZonesyncError):
    """A saved plan's body is malformed: `where` is the JSON path of the field at fault."""

    def __init__(self, where: str, message: str) -> None:
        self.where = where
        super().__init__(f"{where}: {message}")


def _what(value: Any) -> str:
    """What a JSON value is, in the words of an error message."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    text = value if len(value) <= 40 else value[:37] + "..."
    return f"the string {text!r}"


def _object(value: Any, at: str, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BadPlan(at, f"must be an object, not {_what(value)}")
    for key in required:
        if key not in value:
            raise BadPlan(f"{at}.{key}", "is missing")
    allowed = (*required, *optional)
    for key in value:
        if key not in allowed:
            raise BadPlan(f"{at}.{key}", "is not a member of this object in a zonesync plan")
    return value


def _string(value: Any, at: str, *, nullable: bool = False, nonempty: bool = False) -> str | None:
    if value is None and nullable:
        return None
    if not isinstance(value, str) or (nonempty and not value):
        kind = "a non-empty string" if nonempty else "a string"
        raise BadPlan(at, f"must be {kind}{' or null' if nullable else ''}, not {_what(value)}")
    return value


def _integer(
    value: Any, at: str, *, nullable: bool = False, low: int = 0, high: int | None = None
) -> int | None:
    if value is None and nullable:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadPlan(at, f"must be a whole number, not {_what(value)}")
    if value < low or (high is not None and value > high):
        span = f"{low}..{high}" if high is not None else f"{low} or more"
        raise BadPlan(at, f"must be {span}, not {value}")
    return value


def _boolean(value: Any, at: str, *, nullable: bool = False) -> bool | None:
    if value is None and nullable:
        return None
    if not isinstance(value, bool):
        raise BadPlan(at, f"must be true or false{' or null' if nullable else ''}, not {_what(value)}")
    return value


def _list(value: Any, at: str) -> list[Any]:
    if not isinstance(value, list):
        raise BadPlan(at, f"must be a list, not {_what(value)}")
    return value


def _strings(value: Any, at: str) -> list[str]:
    items = _list(value, at)
    for i, item in enumerate(items):
        _string(item, f"{at}[{i}]")
    return items


def _one_of(value: Any, choices: tuple[str, ...], at: str) -> str:
    if not isinstance(value, str) or value not in choices:
        raise BadPlan(at, f"must be one of {', '.join(choices)}, not {_what(value)}")
    return value


def _pattern(value: Any, pattern: re.Pattern[str], at: str, what: str) -> str:
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise BadPlan(at, f"must be {what}, not {_what(value)}")
    return value


def _record_type(value: Any, at: str) -> str:
    if not isinstance(value, str) or value not in rdata.SUPPORTED_TYPES:
        raise BadPlan(at, f"must be a record type zonesync manages ({', '.join(rdata.SUPPORTED_TYPES)}), "
                          f"not {_what(value)}")  # fmt: skip
    return value


def _inside(name: Any, zone: str, at: str) -> str:
    """A record name (or host) of the zone: canonical (lower case, no final dot), at or under the zone."""
    text = _string(name, at, nonempty=True)
    assert text is not None
    if text != text.lower() or text.endswith("."):
        raise BadPlan(at, f"{text!r} is not a name as zonesync writes it (lower case, no final dot)")
    if text != zone and not text.endswith("." + zone):
        raise BadPlan(
            at, f"{text!r} is outside the plan's zone {zone}: Cloudflare would read it as a name inside it"
        )
    problem = names.name_problem(text)
    if problem is not None:
        raise BadPlan(at, f"{text!r} is not a name Cloudflare accepts: {problem}")
    return text


def check_body(doc: Mapping[str, Any]) -> None:
    """Check every field of a saved plan's body the apply reads; raise BadPlan naming the first one wrong."""
    _string(doc.get("zonesync"), "$.zonesync")
    _boolean(doc.get("has_changes"), "$.has_changes")
    totals = _counts(doc.get("counts"), "$.counts")
    zones = _list(doc.get("zones"), "$.zones")
    seen: dict[str, int] = {}
    sums = dict.fromkeys(ACTIONS, 0)
    for i, zone in enumerate(zones):
        at = f"$.zones[{i}]"
        name, counts = _zone(zone, at)
        if name in seen:
            raise BadPlan(f"{at}.zone", f"zone {name} is already planned at $.zones[{seen[name]}]")
        seen[name] = i
        for action in ACTIONS:
            sums[action] += counts[action]
    if totals != sums:
        raise BadPlan(
            "$.counts", f"says {_count_text(totals)}, but the zones' changes are {_count_text(sums)}"
        )
    dnssec = [z["dnssec"]["action"] for z in zones if z.get("dnssec") and z["dnssec"]["action"]]
    if doc["has_changes"] != (any(sums.values()) or bool(dnssec)):
        also = f" and {len(dnssec)} DNSSEC change(s)" if dnssec else ""
        raise BadPlan(
            "$.has_changes", f"is {_what(doc['has_changes'])}, but the plan has {_count_text(sums)}{also}"
        )


def _count_text(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{counts[a]} {a}" for a in ACTIONS)


def _counts(value: Any, at: str) -> dict[str, int]:
    counts = _object(value, at, ACTIONS)
    for action in ACTIONS:
        _integer(counts[action], f"{at}.{action}")
    return {a: counts[a] for a in ACTIONS}


_ZONE_KEYS = ("zone", "zone_id", "path", "fingerprint", "live_records", "managed_records", "ignored", "ignore",
              "counts", "changes", "skipped", "warnings", "safety")  # fmt: skip


def _zone(value: Any, at: str) -> tuple[str, dict[str, int]]:
    data = _object(value, at, _ZONE_KEYS, ("workers", "dnssec"))
    zone_text = _string(data["zone"], f"{at}.zone", nonempty=True)
    assert zone_text is not None
    problem = names.zone_problem(zone_text)
    if problem is not None or zone_text != zone_text.lower() or zone_text.endswith("."):
        raise BadPlan(
            f"{at}.zone",
            f"{zone_text!r} is not a zone name as zonesync writes it ({problem or 'lower case, no final dot'})",
        )
    zone = zone_text
    _string(data["zone_id"], f"{at}.zone_id", nonempty=True)
    _string(data["path"], f"{at}.path")
    _pattern(data["fingerprint"], _DIGEST, f"{at}.fingerprint", "sha256: and 64 hex digits")
    for key in ("live_records", "managed_records", "ignored"):
        _integer(data[key], f"{at}.{key}")
    for i, rule in enumerate(_list(data["ignore"], f"{at}.ignore")):
        rat = f"{at}.ignore[{i}]"
        _object(rule, rat, ("name", "types"))
        _string(rule["name"], f"{rat}.name", nonempty=True)
        for j, rtype in enumerate(_list(rule["types"], f"{rat}.types")):
            _record_type(rtype, f"{rat}.types[{j}]")
    counts = _counts(data["counts"], f"{at}.counts")
    actual = dict.fromkeys(ACTIONS, 0)
    for i, change in enumerate(_list(data["changes"], f"{at}.changes")):
        actual[_change(change, zone, f"{at}.changes[{i}]")] += 1
    for i, skipped in enumerate(_list(data["skipped"], f"{at}.skipped")):
        sat = f"{at}.skipped[{i}]"
        for key in _object(skipped, sat, ("name", "type", "content", "reason")):
            _string(skipped[key], f"{sat}.{key}")
    for i, warning in enumerate(_list(data["warnings"], f"{at}.warnings")):
        wat = f"{at}.warnings[{i}]"
        for key in _object(warning, wat, ("source", "message")):
            _string(warning[key], f"{wat}.{key}")
    _safety(data["safety"], f"{at}.safety")
    if data.get("workers") is not None:
        for action in _workers(data["workers"], zone, f"{at}.workers"):
            actual[action] += 1
    if data.get("dnssec") is not None:
        _dnssec(data["dnssec"], zone, f"{at}.dnssec")
    if counts != actual:
        raise BadPlan(
            f"{at}.counts",
            f"says {_count_text(counts)}, but the changes (DNS and Worker) are {_count_text(actual)}",
        )
    return zone, counts


def _safety(value: Any, at: str) -> None:
    data = _object(value, at, ("limits", "unsafe"))
    limits = _object(data["limits"], f"{at}.limits", ("update", "delete", "min_records", "source"))
    for key in ("update", "delete"):
        _pattern(limits[key], _LIMIT, f"{at}.limits.{key}", 'a count ("20"), a percentage ("50%") or "off"')
    _integer(limits["min_records"], f"{at}.limits.min_records")
    _string(limits["source"], f"{at}.limits.source")
    _string(data["unsafe"], f"{at}.unsafe", nullable=True)


def _change(value: Any, zone: str, at: str) -> str:
    """Check one record change; returns its action."""
    data = _object(value, at, ("action", "name", "type", "before", "after"), ("fields",))
    action = _one_of(data["action"], ACTIONS, f"{at}.action")
    name = _inside(data["name"], zone, f"{at}.name")
    rtype = _record_type(data["type"], f"{at}.type")
    before, after = data["before"], data["after"]
    if action in ("delete", "update") and before is None:
        raise BadPlan(f"{at}.before", f"is null, but a {action} needs the live record it changes")
    if action in ("create", "update") and after is None:
        raise BadPlan(f"{at}.after", f"is null, but a {action} needs the record as it will be")
    if action == "create" and before is not None:
        raise BadPlan(f"{at}.before", "must be null for a create (there is no live record)")
    if action == "delete" and after is not None:
        raise BadPlan(f"{at}.after", "must be null for a delete")
    for key, record in (("before", before), ("after", after)):
        if record is not None:
            _record(record, zone, f"{at}.{key}", live=key == "before", name=name, rtype=rtype)
    if action == "update":
        if "fields" not in data:
            raise BadPlan(f"{at}.fields", "is missing (an update lists the fields it changes)")
        for i, item in enumerate(_list(data["fields"], f"{at}.fields")):
            fat = f"{at}.fields[{i}]"
            _object(item, fat, ("field", "before", "after"))
            _one_of(item["field"], FIELDS, f"{fat}.field")
    elif "fields" in data:
        raise BadPlan(f"{at}.fields", f"belongs to updates only, not to a {action}")
    if after is not None and (rtype == "TXT" or after["comment"] or after["tags"]):
        record = Record(
            name,
            rtype,
            after["value"],
            after["ttl"],
            after["proxied"],
            after["comment"],
            tuple(after["tags"]),
        )
        problems = [d for d in check_records([record], enterprise=True) if d.level == "error"]
        if problems:
            raise BadPlan(f"{at}.after", problems[0].message)
    return action


_RECORD_KEYS = ("id", "name", "type", "value", "ttl", "proxied", "comment", "tags")


def _record(value: Any, zone: str, at: str, *, live: bool, name: str, rtype: str) -> None:
    """One record of a change. A live record (`before`) needs its Cloudflare id; the record as it will be
    (`after`) needs a value that parses, a TTL and proxy setting Cloudflare takes."""
    data = _object(value, at, _RECORD_KEYS, ("pending", "source"))
    _string(data["id"], f"{at}.id", nullable=not live, nonempty=True)
    if _inside(data["name"], zone, f"{at}.name") != name:
        raise BadPlan(f"{at}.name", f"is {data['name']!r}, but the change is for {name!r}")
    if _record_type(data["type"], f"{at}.type") != rtype:
        raise BadPlan(f"{at}.type", f"is {data['type']!r}, but the change is for {rtype!r}")
    text = _string(data["value"], f"{at}.value")
    assert text is not None
    ttl = _integer(data["ttl"], f"{at}.ttl", low=AUTO_TTL, high=MAX_TTL)
    assert ttl is not None
    proxied = _boolean(data["proxied"], f"{at}.proxied", nullable=True)
    _string(data["comment"], f"{at}.comment", nullable=True)
    _strings(data["tags"], f"{at}.tags")
    if "pending" in data:
        _boolean(data["pending"], f"{at}.pending")
    if "source" in data:
        source = _object(data["source"], f"{at}.source", ("path", "line", "field", "origin"))
        _string(source["path"], f"{at}.source.path")
        _integer(source["line"], f"{at}.source.line", nullable=True)
        _string(source["field"], f"{at}.source.field", nullable=True)
        _string(source["origin"], f"{at}.source.origin", nullable=True)
    if not live:
        if ttl != AUTO_TTL and ttl < MIN_TTL:
            raise BadPlan(f"{at}.ttl", f"must be 1 (automatic) or {MIN_TTL}..{MAX_TTL}, not {ttl}")
        if (proxied is None) != (rtype not in PROXIABLE_TYPES):
            kind = "true or false" if rtype in PROXIABLE_TYPES else "null"
            raise BadPlan(f"{at}.proxied", f"must be {kind} for a {rtype} record, not {_what(proxied)}")
        if proxied and ttl != AUTO_TTL:
            raise BadPlan(f"{at}.ttl", f"must be 1 (automatic) for a proxied record, not {ttl}")
        try:
            canonical = rdata.canonical_value(rtype, text, zone)
        except rdata.ValueError_ as exc:
            raise BadPlan(f"{at}.value", str(exc)) from None
        if canonical != text:
            raise BadPlan(f"{at}.value", f"{text!r} is not in canonical form ({canonical!r})")


def _workers(value: Any, zone: str, at: str) -> list[str]:
    """Check the Worker part of a zone's plan; returns the actions of its changes."""
    actions = []
    data = _object(value, at, ("hostname", "scripts", "fingerprint", "changes"))
    _inside(data["hostname"], zone, f"{at}.hostname")
    _strings(data["scripts"], f"{at}.scripts")
    _pattern(data["fingerprint"], _DIGEST, f"{at}.fingerprint", "sha256: and 64 hex digits")
    for i, change in enumerate(_list(data["changes"], f"{at}.changes")):
        cat = f"{at}.changes[{i}]"
        _object(change, cat, ("action", "kind", "name", "before", "after"))
        action = _one_of(change["action"], ACTIONS, f"{cat}.action")
        actions.append(action)
        kind = _one_of(change["kind"], WORKER_KINDS, f"{cat}.kind")
        _string(change["name"], f"{cat}.name", nonempty=True)
        for key in ("before", "after"):
            item = change[key]
            needed = (key == "before" and action != "create") or (key == "after" and action != "delete")
            if (item is None) == needed:
                raise BadPlan(f"{cat}.{key}", f"must be {'an object' if needed else 'null'} for a {action}")
            if item is None:
                continue
            iat = f"{cat}.{key}"
            if kind == "script":
                _object(item, iat, ("name", "content", "etag", "tags"))
                _string(item["name"], f"{iat}.name", nonempty=True)
                _string(item["content"], f"{iat}.content")
                _string(item["etag"], f"{iat}.etag", nullable=True)
                _strings(item["tags"], f"{iat}.tags")
            else:
                _object(item, iat, ("hostname", "service", "id"))
                _inside(item["hostname"], zone, f"{iat}.hostname")
                _string(item["service"], f"{iat}.service", nonempty=True)
                _string(item["id"], f"{iat}.id", nullable=True)
    return actions


_DNSSEC_KEYS = ("wanted", "status", "modified_on", "ds", "action", "parent_ds", "parent_detail", "dangerous")
_HEX = re.compile(r"[0-9a-f]{2,128}")


def _dnssec(value: Any, zone: str, at: str) -> None:
    """The DNSSEC part of a zone's plan (`zonesync.plan.dnssec.DnssecPlan.to_json`): its action must follow from
    the wish and the state it was planned against, its DS be a DS record of the zone."""
    from zonesync.plan.dnssec import STATUSES, DnssecPlan

    data = _object(value, at, _DNSSEC_KEYS)
    _boolean(data["wanted"], f"{at}.wanted")
    _one_of(data["status"], STATUSES, f"{at}.status")
    _string(data["modified_on"], f"{at}.modified_on", nullable=True)
    _one_of(data["parent_ds"], ("present", "absent", "unknown"), f"{at}.parent_ds")
    _string(data["parent_detail"], f"{at}.parent_detail")
    _boolean(data["dangerous"], f"{at}.dangerous")
    if data["ds"] is not None:
        dat = f"{at}.ds"
        ds = _object(data["ds"], dat, ("key_tag", "algorithm", "digest_type", "digest", "ds"))
        for key in ("key_tag", "algorithm", "digest_type"):
            _integer(ds[key], f"{dat}.{key}")
        digest = _pattern(ds["digest"], _HEX, f"{dat}.digest", "lower-case hex")
        expected = f"{zone}. 3600 IN DS {ds['key_tag']} {ds['algorithm']} {ds['digest_type']} {digest}"
        text = _string(ds["ds"], f"{dat}.ds")
        if text is None or text.split()[4:] != expected.split()[4:] or text.split()[0] != f"{zone}.":
            raise BadPlan(f"{dat}.ds", f"is not the DS record of {zone} its fields make")
    plan = DnssecPlan.from_json(data)
    if data["action"] != plan.action or data["dangerous"] != plan.dangerous:
        raise BadPlan(f"{at}.action", "does not follow from `wanted`, `status` and `parent_ds`")
