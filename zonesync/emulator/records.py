"""DNS record shape and Cloudflare's ``content`` <-> ``data`` conversion.

The record object follows today's API (facts #20; ``cloudflare`` SDK ``types/dns/record_response.py``):
``id, name, type, content, [priority], proxiable, proxied, ttl, settings, meta, comment, tags, created_on,
modified_on, [comment_modified_on], [tags_modified_on], [data]``. ``data`` field names are those of the SDK's
``types/dns/<type>_record.py`` (e.g. SRV ``priority/weight/port/target``, TLSA ``usage/selector/
matching_type/certificate``, SSHFP ``algorithm/type/fingerprint``). ``content`` of MX/SRV/URI leaves the
priority out (it is the separate ``priority`` field), hostnames come back without a trailing dot, TXT is kept
exactly as sent.

Structured content is parsed with dnspython (the validation); the canonical ``content`` is then rebuilt from
``data`` so that sending either one gives the same stored record.
"""

from __future__ import annotations

import base64
import ipaddress
import re
from typing import Any

import dns.exception
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.tokenizer

from . import errors

TYPES = frozenset(
    [
        "A",
        "AAAA",
        "CNAME",
        "MX",
        "TXT",
        "SRV",
        "CAA",
        "NS",
        "PTR",
        "TLSA",
        "SSHFP",
        "HTTPS",
        "SVCB",
        "CERT",
        "DNSKEY",
        "DS",
        "LOC",
        "NAPTR",
        "SMIMEA",
        "URI",
    ]
)
PROXIABLE = frozenset({"A", "AAAA", "CNAME"})
PRIORITY_TYPES = frozenset({"MX", "SRV", "URI"})
STRUCTURED = frozenset(
    ["SRV", "CAA", "TLSA", "SSHFP", "LOC", "CERT", "DNSKEY", "DS", "NAPTR", "SMIMEA", "HTTPS", "SVCB", "URI"]
)
HOSTNAME_TYPES = frozenset({"CNAME", "NS", "PTR", "MX"})
TXT_MAX = 4080  # facts #6b: observed UI/API maximum per TXT record (text bytes: 16 full strings)
RECORD_WIRE_MAX = (
    4096  # docs (dns-record-types, 2026): wire-format size of one record; docs/cloudflare-limits.md
)
TXT_STRING_MAX = 255  # facts #6c: longer quoted strings are split
TXT_NAME_MAX = 8192  # facts #6a: combined content per name and type (all types since 2026)
COMMENT_MAX_FREE = 100  # docs record-attributes; observed 9313 (docs/cloudflare-limits.md)
COMMENT_MAX_PAID = 500  # docs record-attributes (cloudflare-docs#8910)

_LABEL = re.compile(r"^(\*|[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)$")
_HOST_LABEL = re.compile(r"^[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$")


def is_hostname(value: str, wildcard: bool = False) -> bool:
    if not value or len(value) > 253:
        return False
    pattern = _LABEL if wildcard else _HOST_LABEL
    return all(pattern.match(label) for label in value.split("."))


def fqdn(name: str, zone: str) -> str:
    """Expand a record name the way Cloudflare does: ``@``/empty = apex, relative names get the zone appended."""
    name = name.strip().rstrip(".").lower()
    if name in ("", "@"):
        return zone
    if name == zone or name.endswith("." + zone):
        return name
    return f"{name}.{zone}"


def _int(value: Any, field: str, rtype: str, low: int = 0, high: int = 65535) -> int:
    if isinstance(value, bool) or value is None:
        raise errors.required(f"data.{field}") if value is None else errors.invalid_content(rtype)
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise errors.invalid_content(rtype, f"data.{field} must be a number.") from None
    if number != value and not (isinstance(value, str) and value.strip().isdigit()):
        raise errors.invalid_content(rtype, f"data.{field} must be an integer.")
    if not low <= number <= high:
        raise errors.invalid_content(rtype, f"data.{field} must be between {low} and {high}.")
    return number


def _str(value: Any, field: str) -> str:
    if value is None:
        raise errors.required(f"data.{field}")
    if not isinstance(value, str):
        return str(value)
    return value


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value}"


def _host(value: str) -> str:
    return value if value == "." else value.rstrip(".")


# -- content from data ------------------------------------------------------------------------------


def content_from_data(rtype: str, data: dict[str, Any]) -> tuple[str, int | None]:
    """Presentation text (without priority) and priority, built from a ``data`` object."""
    if not isinstance(data, dict):
        raise errors.invalid_content(rtype, "data must be an object.")
    d = data
    if rtype == "SRV":
        prio = _int(d.get("priority"), "priority", rtype)
        text = f"{_int(d.get('weight'), 'weight', rtype)} {_int(d.get('port'), 'port', rtype)} "
        return text + _host(_str(d.get("target"), "target")), prio
    if rtype == "URI":
        raw = d.get("priority")
        uri_prio = None if raw is None else _int(raw, "priority", rtype)
        return f"{_int(d.get('weight'), 'weight', rtype)} {_quote(_str(d.get('target'), 'target'))}", uri_prio
    if rtype == "CAA":
        flags = _int(d.get("flags", 0), "flags", rtype, 0, 255)
        return f"{flags} {_str(d.get('tag'), 'tag')} {_quote(_str(d.get('value'), 'value'))}", None
    if rtype in ("TLSA", "SMIMEA"):
        return (
            f"{_int(d.get('usage'), 'usage', rtype, 0, 255)} {_int(d.get('selector'), 'selector', rtype, 0, 255)} "
            f"{_int(d.get('matching_type'), 'matching_type', rtype, 0, 255)} "
            f"{_str(d.get('certificate'), 'certificate')}"
        ), None
    if rtype == "SSHFP":
        return (
            f"{_int(d.get('algorithm'), 'algorithm', rtype, 0, 255)} {_int(d.get('type'), 'type', rtype, 0, 255)} "
            f"{_str(d.get('fingerprint'), 'fingerprint')}"
        ), None
    if rtype == "CERT":
        return (
            f"{_int(d.get('type'), 'type', rtype)} {_int(d.get('key_tag'), 'key_tag', rtype)} "
            f"{_int(d.get('algorithm'), 'algorithm', rtype, 0, 255)} {_str(d.get('certificate'), 'certificate')}"
        ), None
    if rtype == "DNSKEY":
        return (
            f"{_int(d.get('flags'), 'flags', rtype)} {_int(d.get('protocol'), 'protocol', rtype, 0, 255)} "
            f"{_int(d.get('algorithm'), 'algorithm', rtype, 0, 255)} {_str(d.get('public_key'), 'public_key')}"
        ), None
    if rtype == "DS":
        return (
            f"{_int(d.get('key_tag'), 'key_tag', rtype)} {_int(d.get('algorithm'), 'algorithm', rtype, 0, 255)} "
            f"{_int(d.get('digest_type'), 'digest_type', rtype, 0, 255)} {_str(d.get('digest'), 'digest')}"
        ), None
    if rtype == "NAPTR":
        return (
            f"{_int(d.get('order'), 'order', rtype)} {_int(d.get('preference'), 'preference', rtype)} "
            f"{_quote(_str(d.get('flags', ''), 'flags'))} {_quote(_str(d.get('service', ''), 'service'))} "
            f"{_quote(_str(d.get('regex', ''), 'regex'))} {_host(_str(d.get('replacement') or '.', 'replacement'))}"
        ), None
    if rtype in ("HTTPS", "SVCB"):
        text = f"{_int(d.get('priority'), 'priority', rtype)} {_host(_str(d.get('target'), 'target'))}"
        value = d.get("value") or ""
        return (f"{text} {value}" if value else text), None
    if rtype == "LOC":
        return _loc_content(d), None
    raise errors.invalid_content(rtype, "data is not used by this record type.")


def _loc_content(d: dict[str, Any]) -> str:
    def f(key: str, default: float | None = None) -> float:
        value = d.get(key, default)
        if value is None:
            raise errors.required(f"data.{key}")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise errors.invalid_content("LOC", f"data.{key} must be a number.")
        return float(value)

    lat_dir, long_dir = d.get("lat_direction"), d.get("long_direction")
    if lat_dir not in ("N", "S") or long_dir not in ("E", "W"):
        raise errors.invalid_content("LOC", "lat_direction must be N or S, long_direction E or W.")
    return (
        f"{_num(f('lat_degrees'))} {_num(f('lat_minutes', 0))} {f('lat_seconds', 0):.3f} {lat_dir} "
        f"{_num(f('long_degrees'))} {_num(f('long_minutes', 0))} {f('long_seconds', 0):.3f} {long_dir} "
        f"{f('altitude', 0):.2f}m {f('size', 1):.2f}m {f('precision_horz', 10000):.2f}m "
        f"{f('precision_vert', 10):.2f}m"
    )


# -- data from content ------------------------------------------------------------------------------


def _parse(rtype: str, text: str) -> Any:
    try:
        return dns.rdata.from_text(
            dns.rdataclass.IN, dns.rdatatype.from_text(rtype), text, dns.name.root, relativize=False
        )
    except (dns.exception.DNSException, ValueError, TypeError, UnicodeError) as exc:
        raise errors.invalid_content(rtype, str(exc).rstrip(".") + ".") from None


def _target(name: Any) -> str:
    text = name.to_text()
    return text if text == "." else text.rstrip(".")


def _tail(text: str, skip: int) -> str:
    """Hex/base64 blob after ``skip`` tokens, spaces removed, case kept as sent."""
    return "".join(text.split()[skip:])


def data_from_content(rtype: str, content: str, priority: int | None) -> tuple[dict[str, Any], int | None]:
    """Parse ``content`` (plus separate ``priority`` for SRV/URI) into Cloudflare's ``data`` object."""
    text = content.strip()
    if rtype == "SRV":
        parts = text.split()
        if len(parts) == 4:  # "priority weight port target": accept, like the dashboard's zone-file form
            priority = _int(parts[0], "priority", rtype) if priority is None else priority
            text = " ".join(parts[1:])
        if priority is None:
            raise errors.required("priority")
        rd = _parse(rtype, f"{priority} {text}")
        return {
            "priority": rd.priority,
            "weight": rd.weight,
            "port": rd.port,
            "target": _target(rd.target),
        }, (rd.priority)
    if rtype == "URI":
        if priority is None:
            parts = text.split(None, 2)
            if len(parts) == 3 and parts[0].isdigit() and parts[1].isdigit():
                priority, text = int(parts[0]), f"{parts[1]} {parts[2]}"
            else:
                raise errors.required("priority")
        rd = _parse(rtype, f"{priority} {text}")
        return {"target": rd.target.decode(), "weight": rd.weight}, rd.priority
    rd = _parse(rtype, text)
    if rtype == "CAA":
        return {"flags": rd.flags, "tag": rd.tag.decode(), "value": rd.value.decode()}, None
    if rtype in ("TLSA", "SMIMEA"):
        return {
            "usage": rd.usage,
            "selector": rd.selector,
            "matching_type": rd.mtype,
            "certificate": _tail(text, 3),
        }, None
    if rtype == "SSHFP":
        return {"algorithm": rd.algorithm, "type": rd.fp_type, "fingerprint": _tail(text, 2)}, None
    if rtype == "CERT":
        return {
            "type": int(rd.certificate_type),
            "key_tag": rd.key_tag,
            "algorithm": int(rd.algorithm),
            "certificate": base64.b64encode(rd.certificate).decode(),
        }, None
    if rtype == "DNSKEY":
        return {
            "flags": int(rd.flags),
            "protocol": rd.protocol,
            "algorithm": int(rd.algorithm),
            "public_key": base64.b64encode(rd.key).decode(),
        }, None
    if rtype == "DS":
        return {
            "key_tag": rd.key_tag,
            "algorithm": int(rd.algorithm),
            "digest_type": rd.digest_type,
            "digest": _tail(text, 3),
        }, None
    if rtype == "NAPTR":
        return {
            "order": rd.order,
            "preference": rd.preference,
            "flags": rd.flags.decode(),
            "service": rd.service.decode(),
            "regex": rd.regexp.decode(),
            "replacement": _target(rd.replacement),
        }, None
    if rtype in ("HTTPS", "SVCB"):
        parts = rd.to_text().split(None, 2)
        return {
            "priority": rd.priority,
            "target": _target(rd.target),
            "value": parts[2] if len(parts) > 2 else "",
        }, (None)
    if rtype == "LOC":
        lat, lon = rd.latitude, rd.longitude
        return {
            "lat_degrees": lat[0],
            "lat_minutes": lat[1],
            "lat_seconds": lat[2] + lat[3] / 1000,
            "lat_direction": "N" if lat[4] >= 0 else "S",
            "long_degrees": lon[0],
            "long_minutes": lon[1],
            "long_seconds": lon[2] + lon[3] / 1000,
            "long_direction": "E" if lon[4] >= 0 else "W",
            "altitude": rd.altitude / 100,
            "size": rd.size / 100,
            "precision_horz": rd.horizontal_precision / 100,
            "precision_vert": rd.vertical_precision / 100,
        }, None
    raise errors.invalid_content(rtype)


def _check_ipv4(content: str) -> str:
    try:
        return str(ipaddress.IPv4Address(content.strip()))
    except ValueError:
        raise errors.ApiError(400, errors.INVALID_A, errors.INVALID_A_MSG) from None


def _check_ipv6(content: str) -> str:
    try:
        return str(ipaddress.IPv6Address(content.strip()))
    except ValueError:
        raise errors.ApiError(400, errors.INVALID_AAAA, errors.INVALID_AAAA_MSG) from None


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def normalize_content(
    rtype: str, content: Any, data: Any, priority: Any
) -> tuple[str, dict[str, Any] | None, int | None]:
    """Validated ``(content, data, priority)`` for a create/update body, deriving one form from the other."""
    if priority is not None:
        if isinstance(priority, bool) or not isinstance(priority, int | float) or not 0 <= priority <= 65535:
            raise errors.validation(errors.BAD_PRIORITY, errors.BAD_PRIORITY_MSG)
        if int(priority) != priority:
            raise errors.validation(errors.BAD_PRIORITY, errors.BAD_PRIORITY_MSG)
        priority = int(priority)
    if rtype in STRUCTURED:
        if data is not None and (content is None or content == ""):
            text, data_prio = content_from_data(rtype, data)
            if data_prio is not None:
                priority = data_prio
            if rtype == "URI" and priority is None:
                raise errors.required("priority")
            parsed, priority = data_from_content(rtype, text, priority)
        else:
            if content is None or content == "":
                raise errors.required("content")
            if not isinstance(content, str):
                raise errors.invalid_content(rtype)
            if rtype == "SRV" and priority is None and isinstance(data, dict) and "priority" in data:
                priority = _int(data["priority"], "priority", rtype)
            parsed, priority = data_from_content(rtype, content, priority)
        text, _ = content_from_data(rtype, parsed)
        return text, parsed, priority if rtype in PRIORITY_TYPES else None
    if content is None or content == "":
        raise errors.required("content")
    if not isinstance(content, str):
        raise errors.invalid_content(rtype)
    if rtype == "A":
        return _check_ipv4(content), None, None
    if rtype == "AAAA":
        return _check_ipv6(content), None, None
    if rtype == "TXT":
        if txt_wire_size(content) > RECORD_WIRE_MAX:
            raise errors.validation(
                errors.TXT_TOO_LONG,
                f"Content for TXT record is too long; the maximum is {TXT_MAX} characters.",
            )
        return split_txt(content), None, None
    # CNAME, NS, PTR, MX: a hostname
    host = content.strip()
    if rtype == "MX":
        if priority is None:
            raise errors.required("priority")
        if _is_ip(host):
            raise errors.validation(errors.MX_IS_IP, errors.MX_IS_IP_MSG)
        if host == ".":  # RFC 7505 null MX
            return ".", None, priority
    elif _is_ip(host):
        raise errors.invalid_content(rtype, "It must be a hostname, not an IP address.")
    host = host.rstrip(".")
    if not is_hostname(host):
        raise errors.invalid_content(rtype)
    return host, None, priority if rtype == "MX" else None


def txt_wire_size(content: str) -> int:
    """Bytes of a TXT content's character strings in wire format (each with its length byte), once split
    into strings of at most 255 bytes as Cloudflare does: 4,080 bytes of text are 16 strings, 4,096 bytes
    (facts #6b's observed maximum meets the documented wire-format limit). Bare content counts as one text."""
    stripped = content.strip()
    strings = _quoted_strings(stripped) if stripped.startswith('"') else None
    if strings is None:
        strings = [content.encode("utf-8", "surrogateescape")]
    return sum(len(s) + 1 if len(s) <= TXT_STRING_MAX else _split_size(len(s)) for s in strings)


def _split_size(length: int) -> int:
    return length + -(-length // TXT_STRING_MAX)


def split_txt(content: str) -> str:
    """Facts row 6c: TXT content "must consist of quoted character strings, each with a length of up to
    255 bytes. Strings exceeding this allowed maximum length are automatically split." Content sent
    without quotes (or not only quoted strings) is stored as sent."""
    strings = _quoted_strings(content.strip()) if content.strip().startswith('"') else None
    if strings is None or all(len(s) <= TXT_STRING_MAX for s in strings):
        return content
    parts = [s[i : i + TXT_STRING_MAX] for s in strings for i in range(0, max(len(s), 1), TXT_STRING_MAX)]
    return " ".join(_quote_bytes(p) for p in parts)


def _quoted_strings(text: str) -> list[bytes] | None:
    tok = dns.tokenizer.Tokenizer(text)
    out: list[bytes] = []
    try:
        while not (token := tok.get()).is_eol_or_eof():
            if not token.is_quoted_string():
                return None
            out.append(token.unescape_to_bytes().value)
    except dns.exception.DNSException:
        return None
    return out


def _quote_bytes(data: bytes) -> str:
    """One RFC 1035 §5.1 quoted string; bytes outside printable ASCII as \\DDD."""
    out = []
    for b in data:
        if b in (0x22, 0x5C):
            out.append("\\" + chr(b))
        elif 0x20 <= b < 0x7F:
            out.append(chr(b))
        else:
            out.append(f"\\{b:03d}")
    return '"' + "".join(out) + '"'


def identity(rec: dict[str, Any]) -> tuple[Any, ...]:
    """What makes two records "identical" (81058): type, name, content (case-folded except TXT), priority."""
    content = rec["content"] if rec["type"] == "TXT" else rec["content"].lower()
    return (rec["type"], rec["name"], content, rec.get("priority"))
