"""Zone file (v1) -> ZoneConfig: typed, canonical records, each remembering file, line and field.

Everything a single record can get wrong is refused here, before any write: unknown keys
(with a suggestion), values dnspython cannot parse, TTLs Cloudflare refuses, `proxied` on a type
Cloudflare cannot proxy, names outside the zone. Checks that need the whole record set live in
`zonesync.plan.desired_checks`.
"""

from __future__ import annotations

import datetime
import ipaddress
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import dns.exception
import dns.name

from zonesync.errors import InvalidZoneError, ZoneFileError
from zonesync.model import AUTO_TTL, PROXIABLE_TYPES, IgnoreRule, Record, Source
from zonesync.zonefile import names, rdata, shape
from zonesync.zonefile.all_errors import FileErrors, raise_all
from zonesync.zonefile.config import ZoneConfig
from zonesync.zonefile.locate import zone_from_file_name
from zonesync.zonefile.yaml_lines import (
    LineDict,
    LineList,
    check_keys,
    did_you_mean,
    key_errors,
    load,
    require_mapping,
    type_name,
)

TOP_KEYS = shape.TOP_KEYS
RECORD_KEYS = shape.RECORD_KEYS
_RECORD_KEY_SET = frozenset(RECORD_KEYS)
IGNORE_KEYS = ("name", "type")

T = TypeVar("T")

MIN_TTL, MIN_TTL_ENTERPRISE, MAX_TTL = 60, 30, 86400
"""Cloudflare: TTL 1 (automatic) or 60..86400 seconds; 30 on Enterprise (docs: dns/.../reference/ttl)."""


def load_zone_file(path: str | Path, text: str | None = None) -> ZoneConfig:
    """Parse and check one zone file. Every error a record can have alone is found, not only the first:
    raises InvalidZoneError listing them all (file:line: field each), or ZoneFileError when the file
    cannot be read as a zone file at all (unreadable, a YAML syntax error, no zone name)."""
    path_s = str(path)
    src = Source(path_s)
    doc = load(path_s, text)
    if doc is None:
        raise ZoneFileError(src, "the file is empty: it needs at least `zone:`")
    top = require_mapping(doc, src.at(line=1), "the zone file")
    errors: list[ZoneFileError] = key_errors(top, TOP_KEYS, src, "", _top_hint)

    named = zone_from_file_name(path_s) if text is None else None
    try:
        zone = _file_zone(top, named, path_s, src)
    except ZoneFileError as exc:
        raise_all([*errors, exc])
        raise

    def checked(check: Callable[[], T], default: T) -> T:
        try:
            return check()
        except ZoneFileError as exc:
            errors.append(exc)
            return default

    enterprise = checked(
        lambda: _bool(top.get("enterprise", False), src.at("enterprise", top.line_of("enterprise"))), False
    )
    ttl = checked(
        lambda: _ttl(top.get("ttl", "auto"), src.at("ttl", top.line_of("ttl")), enterprise), AUTO_TTL
    )
    proxied = checked(
        lambda: _bool(top.get("proxied", False), src.at("proxied", top.line_of("proxied"))), False
    )
    ignore: tuple[IgnoreRule, ...] = checked(
        lambda: _ignore_rules(top.get("ignore"), src.at("ignore", top.line_of("ignore"))), ()
    )
    dnssec = checked(
        lambda: _bool(top["dnssec"], src.at("dnssec", top.line_of("dnssec"))) if "dnssec" in top else None,
        None,
    )

    records: list[Record] = []
    raw_records = top.get("records")
    if raw_records is not None:
        sets = checked(
            lambda: require_mapping(raw_records, src.at("records", top.line_of("records")), "`records`"), None
        )
        if sets is not None:
            # Each record set's YAML mapping is dropped once converted: the parsed file and the records it
            # becomes are never both whole in memory.
            keys = list(sets)
            lines = [
                sets.line_of(name) for name in keys
            ]  # before any pop: a small mapping's lines are by index
            absorbed = False  # the keys of a record set written one indent too far left, already reported
            for index, name in enumerate(keys):
                body = sets.pop(name)
                if absorbed and name in RECORD_KEYS and not isinstance(body, dict | list):
                    continue
                absorbed = False
                try:
                    records.extend(
                        _record_sets(name, body, lines[index], zone, ttl, proxied, enterprise, src, errors)
                    )
                except ZoneFileError as exc:
                    error = _shape_hint(exc, name, body, keys, index)
                    absorbed = body is None and error is not exc
                    errors.append(error)

    mail = top.get("mail")
    if mail is not None:
        mail = checked(lambda: require_mapping(mail, src.at("mail", top.line_of("mail")), "`mail`"), None)
    raise_all(errors)
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
        dnssec=dnssec,
        dnssec_line=top.line_of("dnssec") if dnssec is not None else 0,
    )


def _top_hint(key: str) -> str:
    return shape.misplaced(key, shape.TOP)


def _shape_hint(error: ZoneFileError, name: Any, body: Any, keys: list[str], index: int) -> ZoneFileError:
    """A record set's error with a hint when its shape says what went wrong: a name whose body is a plain
    value and that is a key of a record set (`value:` one indent too far left), or a name left empty with
    record-set keys after it (its keys not indented under it)."""
    if error.source.field != f"records.{name}" or isinstance(body, dict | list):
        return error
    hint = ""
    if body is None:
        hint = shape.empty_block_hint(str(name), keys[index + 1 :])
    if not hint:
        before = next((k for k in reversed(keys[:index]) if k not in shape.RECORD_KEYS), None)
        hint = shape.misplaced(str(name), shape.RECORDS, before)
    return ZoneFileError(error.source, error.detail + hint) if hint else error


def _file_zone(top: LineDict, named: str | None, path_s: str, src: Source) -> str:
    """The zone a file describes: `zone:`, else its file name; raises ZoneFileError if neither says."""
    if "zone" in top:
        zone = _zone_name(top["zone"], src.at("zone", top.line_of("zone")))
        if named is not None and named != zone:
            raise ZoneFileError(
                src.at("zone", top.line_of("zone")),
                f"the file is named {Path(path_s).name} but holds `zone: {zone}`: a zone file is named "
                f"<zone>.yaml, so `zonesync plan {zone}` finds it and no zone is planned from the wrong file; "
                f"rename the file to {zone}.yaml or correct `zone:`",
            )
        return zone
    if named is not None:
        return _zone_name(named, src.at("zone", top.line))
    raise ZoneFileError(src.at("zone", top.line), "missing `zone:` (the Cloudflare zone this file describes)")


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

    Refuses names Cloudflare refuses (`zonesync.zonefile.names`: LDH and underscore labels, `*` only as the whole
    leftmost label, length limits): one such name would fail its whole batch at apply."""
    if not isinstance(name, str) or not name:
        raise ZoneFileError(src, f"a record name must be a string, not {type_name(name)}")
    plain = _plain_name(name, zone)
    if plain is not None:
        return plain
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
    without dnspython; None for any other name, which `absolute_name` then parses."""
    if len(name) + len(zone) < names.MAX_NAME and names.OWNER_NAME.fullmatch(name):
        return sys.intern(f"{name}.{zone}".lower())
    return None


def _record_sets(
    name: str,
    body: Any,
    line: int,
    zone: str,
    ttl: int,
    proxied: bool,
    enterprise: bool,
    src: Source,
    errors: list[ZoneFileError],
) -> list[Record]:
    """The records of one name. An error of the name or its shape is raised; an error of one of its record
    sets is added to `errors`, and the other sets are still checked."""
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
        try:
            out.extend(_record_set(fqdn, item, field, item_line, zone, ttl, proxied, enterprise, src))
        except ZoneFileError as exc:
            errors.append(exc)
    return out


def _record_hint(key: str) -> str:
    return shape.misplaced(key, shape.RECORD)


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
        check_keys(rs, RECORD_KEYS, src.at(field, line), field, _record_hint)
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


def load_configs(paths: Sequence[str | Path]) -> list[ZoneConfig]:
    """Every zone file parsed and checked alone. Raises the errors of every file together (not only
    the first file's), sorted by file and line (`zonesync.zonefile.all_errors`)."""
    configs, errors = load_each(paths)
    raise_all(errors)
    return configs


def load_each(paths: Sequence[str | Path]) -> tuple[list[ZoneConfig], list[FileErrors]]:
    """The zone files that load, and the errors of those that do not (and of a zone declared twice)."""
    configs: list[ZoneConfig] = []
    errors: list[FileErrors] = []
    for p in paths:
        try:
            configs.append(load_zone_file(p))
        except (InvalidZoneError, ZoneFileError) as exc:
            errors.append(exc)
    seen: dict[str, str] = {}
    for cfg in configs:
        if cfg.zone in seen:
            errors.append(
                ZoneFileError(Source(cfg.path), f"zone {cfg.zone} is also declared in {seen[cfg.zone]}")
            )
        seen[cfg.zone] = cfg.path
    return configs, errors
