"""Zone file (v1) -> ZoneConfig: typed, canonical records, each remembering file, line and field.

Everything a single record can get wrong is refused here, before any write: unknown keys
(with a suggestion), values dnspython cannot parse, TTLs Cloudflare refuses, `proxied` on a type
Cloudflare cannot proxy, names outside the zone. Checks that need the whole record set live in
`zonesync.validate`.
"""

from __future__ import annotations

import datetime
import ipaddress
import sys
from pathlib import Path
from typing import Any

import dns.exception
import dns.name

from zonesync import names, rdata
from zonesync.errors import ZoneFileError
from zonesync.model import AUTO_TTL, PROXIABLE_TYPES, IgnoreRule, Record, Source, ZoneConfig
from zonesync.yamlfile import LineDict, LineList, check_keys, did_you_mean, load, require_mapping, type_name
from zonesync.zonefiles import zone_from_file_name

TOP_KEYS = ("zone", "ttl", "proxied", "enterprise", "ignore", "records", "mail", "max_changes")
RECORD_KEYS = ("type", "value", "values", "ttl", "proxied", "comment", "tags")
_RECORD_KEY_SET = frozenset(RECORD_KEYS)
IGNORE_KEYS = ("name", "type")

MIN_TTL, MIN_TTL_ENTERPRISE, MAX_TTL = 60, 30, 86400
"""Cloudflare: TTL 1 (automatic) or 60..86400 seconds; 30 on Enterprise (docs: dns/.../reference/ttl)."""


def load_zone_file(path: str | Path, text: str | None = None) -> ZoneConfig:
    path_s = str(path)
    src = Source(path_s)
    doc = load(path_s, text)
    if doc is None:
        raise ZoneFileError(src, "the file is empty: it needs at least `zone:`")
    top = require_mapping(doc, src.at(line=1), "the zone file")
    check_keys(top, TOP_KEYS, src, "")

    named = zone_from_file_name(path_s) if text is None else None
    if "zone" in top:
        zone = _zone_name(top["zone"], src.at("zone", top.line_of("zone")))
        if named is not None and named != zone:
            raise ZoneFileError(
                src.at("zone", top.line_of("zone")),
                f"the file is named {Path(path_s).name} but holds `zone: {zone}`: a zone file is named "
                f"<zone>.yaml, so `zonesync plan {zone}` finds it and no zone is planned from the wrong file; "
                f"rename the file to {zone}.yaml or correct `zone:`",
            )
    elif named is not None:
        zone = _zone_name(named, src.at("zone", top.line))
    else:
        raise ZoneFileError(
            src.at("zone", top.line), "missing `zone:` (the Cloudflare zone this file describes)"
        )

    enterprise = _bool(top.get("enterprise", False), src.at("enterprise", top.line_of("enterprise")))
    ttl = _ttl(top.get("ttl", "auto"), src.at("ttl", top.line_of("ttl")), enterprise)
    proxied = _bool(top.get("proxied", False), src.at("proxied", top.line_of("proxied")))
    ignore = _ignore_rules(top.get("ignore"), src.at("ignore", top.line_of("ignore")))

    records: list[Record] = []
    raw_records = top.get("records")
    if raw_records is not None:
        sets = require_mapping(raw_records, src.at("records", top.line_of("records")), "`records`")
        # Each record set's YAML mapping is dropped once converted: the parsed file and the records it
        # becomes are never both whole in memory (a 100,000-record zone: about 100 MB less at the peak).
        for name in list(sets):
            line = sets.line_of(name)
            body = sets.pop(name)
            records.extend(_record_sets(name, body, line, zone, ttl, proxied, enterprise, src))

    mail = top.get("mail")
    if mail is not None:
        mail = require_mapping(mail, src.at("mail", top.line_of("mail")), "`mail`")
    return ZoneConfig(
        path=path_s,
        zone=zone,
        ttl=ttl,
        proxied=proxied,
        ignore=ignore,
        records=tuple(records),
        mail=mail,
        mail_line=top.line_of("mail"),
        max_changes=top.get("max_changes"),
        max_changes_line=top.line_of("max_changes"),
        enterprise=enterprise,
    )


def _zone_name(value: Any, src: Source) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ZoneFileError(src, f"must be a domain name like example.com, not {type_name(value)}")
    try:
        return names.zone_name(value)
    except ValueError as exc:
        raise ZoneFileError(src, str(exc)) from None


def _quote_hint(value: Any) -> str:
    """YAML reads some unquoted text as numbers, dates or booleans (`010` is 8): quoting keeps it text."""
    return "; put it in quotes if it is text" if isinstance(value, int | float | datetime.date) else ""


def _bool(value: Any, src: Source) -> bool:
    if not isinstance(value, bool):
        raise ZoneFileError(src, f"must be true or false, not {type_name(value)}")
    return value


def _ttl(value: Any, src: Source, enterprise: bool) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):  # `ttl: true` is not 1 (auto)
        raise ZoneFileError(src, f'must be a number of seconds or "auto", not {type_name(value)}')
    if value == "auto" or value == AUTO_TTL:
        return AUTO_TTL
    if not isinstance(value, int):
        raise ZoneFileError(src, f'must be a number of seconds or "auto", not {value!r}')
    low = MIN_TTL_ENTERPRISE if enterprise else MIN_TTL
    if not low <= value <= MAX_TTL:
        hint = (
            " (30..59 only on Enterprise plans: add `enterprise: true` if yours is one)"
            if MIN_TTL_ENTERPRISE <= value < MIN_TTL and not enterprise
            else ""
        )
        raise ZoneFileError(
            src, f'TTL {value} is refused by Cloudflare: use "auto" or {low}..{MAX_TTL}{hint}'
        )
    return value


def _types(value: Any, src: Source) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(t, str) for t in items):
        raise ZoneFileError(src, f"must be a record type or a list of them, not {type_name(value)}")
    types = tuple(sys.intern(t.upper()) for t in items)
    for t in types:
        if t not in rdata.SUPPORTED_TYPES:
            raise ZoneFileError(src, f"unknown record type {t!r}{did_you_mean(t, rdata.SUPPORTED_TYPES)}")
    return types


def _ignore_rules(value: Any, src: Source) -> tuple[IgnoreRule, ...]:
    if value is None:
        return ()
    if not isinstance(value, LineList):
        raise ZoneFileError(src, f"must be a list of {{name, type}} rules, not {type_name(value)}")
    rules = []
    for i, item in enumerate(value):
        isrc = src.at(f"ignore[{i}]", value.line_of(i))
        rule = require_mapping(item, isrc, "an ignore rule")
        check_keys(rule, IGNORE_KEYS, isrc, f"ignore[{i}]")
        name = rule.get("name")
        if not isinstance(name, str) or not name:
            raise ZoneFileError(isrc.at(f"ignore[{i}].name"), "needs `name:`, a glob on the relative name")
        types = (
            _types(rule["type"], isrc.at(f"ignore[{i}].type", rule.line_of("type"))) if "type" in rule else ()
        )
        rules.append(
            IgnoreRule(name=name.lower().rstrip(".") if name != "@" else "@", types=types, line=rule.line)
        )
    return tuple(rules)


def absolute_name(name: Any, zone: str, src: Source) -> str:
    """Relative (or absolute, trailing dot) owner name -> canonical FQDN inside the zone.

    Refuses names Cloudflare refuses (`zonesync.names`: LDH and underscore labels, `*` only as the whole
    leftmost label, length limits): one such name would fail its whole batch at apply."""
    if not isinstance(name, str) or not name:
        raise ZoneFileError(src, f"a record name must be a string, not {type_name(name)}")
    fqdn = _plain_name(name, zone)
    if fqdn is not None:
        return fqdn
    origin = rdata.zone_origin(zone)
    try:
        fqdn = origin if name == "@" else dns.name.from_text(name, origin)
    except dns.exception.DNSException as exc:
        raise ZoneFileError(src, f"{name!r} is not a valid DNS name: {exc}") from None
    if not fqdn.is_subdomain(origin):
        raise ZoneFileError(src, f"{name!r} is outside the zone {zone}")
    problem = names.dns_name_problem(fqdn)
    if problem is not None:
        raise ZoneFileError(src, f"{name!r} is not a record name Cloudflare accepts: {problem}")
    # Interned: the live zone's records then share these strings instead of holding copies.
    return sys.intern(fqdn.to_text(omit_final_dot=True).lower())


def _plain_name(name: str, zone: str) -> str | None:
    """The FQDN of a plain relative name (LDH and underscore labels, short enough) as dnspython gives it,
    ~10x faster; None for any other name, which `absolute_name` then parses."""
    if len(name) + len(zone) < names.MAX_NAME and names.OWNER_NAME.fullmatch(name):
        return sys.intern(f"{name}.{zone}".lower())
    return None


def _record_sets(
    name: str, body: Any, line: int, zone: str, ttl: int, proxied: bool, enterprise: bool, src: Source
) -> list[Record]:
    fqdn = (type(name) is str and _plain_name(name, zone)) or absolute_name(
        name, zone, src.at(f"records.{name}", line)
    )
    if isinstance(body, LineDict):
        entries: list[tuple[Any, str, int]] = [(body, f"records.{name}", body.line)]
    elif isinstance(body, LineList):
        entries = [(item, f"records.{name}[{i}]", body.line_of(i)) for i, item in enumerate(body)]
    else:
        raise ZoneFileError(
            src.at(f"records.{name}", line),
            f"must be a record set (type, value...) or a list of them, not {type_name(body)}",
        )
    out: list[Record] = []
    for item, field, item_line in entries:
        out.extend(_record_set(fqdn, item, field, item_line, zone, ttl, proxied, enterprise, src))
    return out


_TYPE_OF = {spelling: t for t in rdata.SUPPORTED_TYPES for spelling in (t, t.lower())}
"""A record type as it is usually written -> the interned name `_types` makes of it."""


def _at(src: Source, field: str, rs: LineDict, key: str) -> Source:
    return src.at(f"{field}.{key}", rs.line_of(key))


def _record_set(
    fqdn: str,
    body: Any,
    field: str,
    line: int,
    zone: str,
    ttl: int,
    proxied: bool,
    enterprise: bool,
    src: Source,
) -> list[Record]:
    # The Sources of errors are made only for an error (`at`); a record keeps the one of its value.
    if not isinstance(body, LineDict) or not _RECORD_KEY_SET.issuperset(body):
        rs = require_mapping(body, src.at(field, line), "a record set")
        check_keys(rs, RECORD_KEYS, src.at(field, line), field)
    rs = body

    if "type" not in rs:
        raise ZoneFileError(src.at(field, line), "missing `type:`")
    raw_type = rs["type"]
    rtype = _TYPE_OF.get(raw_type) if type(raw_type) is str else None
    if rtype is None:  # not a supported type as usually spelt: what `_types` says of it
        if not isinstance(raw_type, str):
            raise ZoneFileError(_at(src, field, rs, "type"), "must be one record type, like A or MX")
        rtype = _types(raw_type, _at(src, field, rs, "type"))[0]

    has_value = "value" in rs
    if has_value == ("values" in rs):
        raise ZoneFileError(src.at(field, line), "needs exactly one of `value:` or `values:`")
    if has_value:
        raw_values: list[tuple[Any, Source]] = [(rs["value"], _at(src, field, rs, "value"))]
    else:
        vals = rs["values"]
        if not isinstance(vals, LineList) or not vals:
            raise ZoneFileError(
                _at(src, field, rs, "values"), f"must be a non-empty list, not {type_name(vals)}"
            )
        raw_values = [(v, src.at(f"{field}.values[{i}]", vals.line_of(i))) for i, v in enumerate(vals)]

    rproxied: bool | None = None
    if "proxied" in rs:
        rproxied = _bool(rs["proxied"], _at(src, field, rs, "proxied"))
        if rtype not in PROXIABLE_TYPES:
            raise ZoneFileError(
                _at(src, field, rs, "proxied"),
                f"Cloudflare cannot proxy {rtype} records (only A, AAAA and CNAME): remove it",
            )
    elif rtype in PROXIABLE_TYPES:
        rproxied = proxied

    rttl = ttl
    if "ttl" in rs:
        rttl = _ttl(rs["ttl"], _at(src, field, rs, "ttl"), enterprise)
        if rproxied and rttl != AUTO_TTL:
            raise ZoneFileError(
                _at(src, field, rs, "ttl"),
                "proxied records always use Cloudflare's automatic TTL: remove `ttl`",
            )
    if rproxied:
        rttl = AUTO_TTL

    comment = rs.get("comment")
    if comment is not None and not isinstance(comment, str):
        raise ZoneFileError(_at(src, field, rs, "comment"), f"must be a string, not {type_name(comment)}")
    tags: tuple[str, ...] = ()
    if "tags" in rs:
        raw_tags = rs["tags"]
        if not isinstance(raw_tags, list) or not all(isinstance(t, str) and t for t in raw_tags):
            raise ZoneFileError(
                _at(src, field, rs, "tags"), "must be a list of strings (Cloudflare tags, `name:value`)"
            )
        tags = tuple(sorted(set(raw_tags)))

    if rtype == "NS" and fqdn == zone:
        raise ZoneFileError(
            _at(src, field, rs, "type"),
            "Cloudflare serves the apex NS records itself: declare NS only for subdomains",
        )

    records = []
    for raw, vsrc in raw_values:
        if type(raw) is not str:
            raise ZoneFileError(vsrc, f"a {rtype} value must be text, not {type_name(raw)}{_quote_hint(raw)}")
        if rtype == "MX":
            _check_mx_target(raw, vsrc)
        try:
            value = rdata.canonical_value(rtype, raw, zone)
        except rdata.ValueError_ as exc:
            raise ZoneFileError(vsrc, str(exc)) from None
        records.append(Record(fqdn, rtype, value, rttl, rproxied, comment or None, tags, source=vsrc))
    return records


def _check_mx_target(text: str, src: Source) -> None:
    """An IP address as MX target would be read as a host name inside the zone (`192.0.2.1.<zone>`)."""
    target = text.split()[-1].rstrip(".") if text.split() else ""
    if not target or not (target[0].isdigit() or ":" in target):
        return
    try:
        ipaddress.ip_address(target)
    except ValueError:
        return
    raise ZoneFileError(
        src,
        f"MX target {target} is an IP address, but an MX record must name a host (RFC 5321 §5.1; as written it "
        "would mean a host named after the address inside the zone): name the host (e.g. `10 mx`) and give "
        "it an A/AAAA record",
    )
