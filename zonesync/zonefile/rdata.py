"""Canonical record values, parsed and printed by dnspython.

The differ compares `Record.value` strings, so everything that must not show a diff has to meet here in
one spelling: hostnames absolute and lower-cased (RFC 4034 §6.2 canonical form, via dnspython's
`to_digestable`), IPv6 compressed, and TXT as the joined text of its character strings.
"""

from __future__ import annotations

import re
import socket
from functools import lru_cache
from typing import Any

import dns.exception
import dns.ipv4
import dns.ipv6
import dns.name
import dns.tokenizer

from zonesync.base.features import lazy
from zonesync.zonefile import names

dns_rdata: Any = lazy("dns.rdata")
dns_rdataclass: Any = lazy("dns.rdataclass")
dns_rdatatype: Any = lazy("dns.rdatatype")
dns_txt: Any = lazy("dns.rdtypes.ANY.TXT")
"""On first use: addresses, host names and TXT text need none of them, and with `dns.rdata` and the TXT
type comes most of dnspython (renderer, rdataset, TSIG, EDNS...)."""

SUPPORTED_TYPES: tuple[str, ...] = (
    "A", "AAAA", "CNAME", "MX", "TXT", "SRV", "CAA", "NS", "PTR", "TLSA", "SSHFP", "HTTPS", "SVCB",
    "CERT", "DNSKEY", "DS", "LOC", "NAPTR", "SMIMEA", "URI",
)  # fmt: skip
"""Record types Cloudflare's DNS API manages (and zonesync can recreate)."""

TXT_CHUNK = 255
"""RFC 1035 §3.3: a TXT character-string holds at most 255 bytes."""

_HOST_TYPES = frozenset({"CNAME", "NS", "PTR"})


class ValueError_(ValueError):
    """A value that does not parse; the message is dnspython's, made readable."""


@lru_cache(maxsize=256)
def zone_origin(zone: str) -> dns.name.Name:
    return dns.name.from_text(zone)


def canonical_value(rdtype: str, text: str, zone: str) -> str:
    """Parse a value written in zone-file presentation format (relative to `zone`) to canonical text.

    TXT is the exception: its value is the plain text, which zonesync quotes and splits itself.
    Raises ValueError_ with a readable reason.
    """
    if rdtype == "TXT":
        return _check_txt(text)
    fast = _fast_value(rdtype, text, zone)
    if fast is not None:
        return fast
    try:
        if rdtype == "A":
            return dns.ipv4.canonicalize(text.strip())
        if rdtype == "AAAA":
            return dns.ipv6.canonicalize(text.strip())
        origin = zone_origin(zone)
        if rdtype in _HOST_TYPES:
            target = dns.name.from_text(text.strip(), origin)
            _check_target(rdtype, text, target)
            return target.to_text().lower()
        rd = dns_rdata.from_text(dns_rdataclass.IN, rdtype, text, origin=origin, relativize=False)
        if rdtype == "MX" and rd.exchange != dns.name.root:  # "0 ." is a null MX (RFC 7505)
            _check_target(rdtype, text, rd.exchange)
        wire = rd.to_digestable()
        canon = dns_rdata.from_wire(dns_rdataclass.IN, rd.rdtype, wire, 0, len(wire))
        return canon.to_text()
    except ValueError_:
        raise
    except dns.exception.SyntaxError as exc:
        raise ValueError_(f"invalid {rdtype} value {text!r}: {_reason(exc)}") from None
    except dns.exception.DNSException as exc:
        raise ValueError_(f"invalid {rdtype} value {text!r}: {_reason(exc)}") from None
    except (ValueError, TypeError, UnicodeError) as exc:
        raise ValueError_(f"invalid {rdtype} value {text!r}: {exc}") from None


_HOST = rf"{names.HOST_NAME.pattern}\.?"
_SIMPLE_HOST = re.compile(_HOST)
_SIMPLE_MX = re.compile(rf"\s*(\d{{1,5}})\s+({_HOST})\s*")


def _fast_host(host: str, zone: str) -> str | None:
    fqdn = host if host.endswith(".") else f"{host}.{zone}." if zone not in ("", ".") else f"{host}."
    return fqdn.lower() if len(fqdn) <= 254 else None


_V4_MAPPED_OR_COMPAT = bytes(10)


def _fast_address(family: socket.AddressFamily, text: str) -> str | None:
    """`text` when it is already an address in canonical form, else None (dnspython then decides).

    The C library's inet_pton/inet_ntop round trip: only a text that comes back unchanged passes, and
    that is dnspython's canonical spelling too (decimal without leading zeros; lower-case hex without
    leading zeros, the longest run of two or more zero groups, the first on ties, as `::`). IPv6
    addresses in ::/80, which both may print with a dotted quad, are left to dnspython."""
    try:
        packed = socket.inet_pton(family, text)
        if family == socket.AF_INET6 and packed[:10] == _V4_MAPPED_OR_COMPAT:
            return None
        return text if socket.inet_ntop(family, packed) == text else None
    except (OSError, ValueError):  # not an address to the C library (ValueError: NUL, not encodable)
        return None


def _fast_value(rdtype: str, text: str, zone: str) -> str | None:
    """The canonical text of the commonest simple values (A and AAAA already in canonical form; MX, CNAME,
    NS, PTR to plain host names) without dnspython; None for anything else, which dnspython then parses.

    Why it stays: without it scenario 1's bench ratio fell past the bound of docs/performance.md
    ("Mechanisms that earn their place"), and a plain zone's plan would load `dns.rdata`."""
    if rdtype == "A":
        return _fast_address(socket.AF_INET, text.strip())
    if rdtype == "AAAA":
        return _fast_address(socket.AF_INET6, text.strip())
    if rdtype in _HOST_TYPES:
        host = text.strip()
        return _fast_host(host, zone) if _SIMPLE_HOST.fullmatch(host) else None
    if rdtype == "MX":
        m = _SIMPLE_MX.fullmatch(text)
        if m and int(m.group(1)) <= 65535:
            target = _fast_host(m.group(2), zone)
            return f"{int(m.group(1))} {target}" if target else None
    return None


def _check_target(rdtype: str, text: str, target: dns.name.Name) -> None:
    """Cloudflare refuses a CNAME, MX, NS or PTR target that is not a host name (`zonesync.zonefile.names`)."""
    problem = names.dns_name_problem(target, wildcard=False)
    if problem is not None:
        raise ValueError_(
            f"invalid {rdtype} value {text!r}: the target is not a host name Cloudflare accepts: {problem}"
        )


def _reason(exc: Exception) -> str:
    msg = str(exc) or type(exc).__name__
    return msg[0].lower() + msg[1:] if msg else msg


def _check_txt(text: str) -> str:
    if not isinstance(text, str):
        raise ValueError_("a TXT value must be a string")
    try:
        text.encode("utf-8")
    except UnicodeError:
        raise ValueError_("TXT value is not valid UTF-8") from None
    return text


def txt_chunks(text: str) -> list[bytes]:
    """Split joined TXT text into the 255-byte character strings DNS carries (never inside a UTF-8 char)."""
    data = text.encode("utf-8")
    chunks: list[bytes] = []
    while len(data) > TXT_CHUNK:
        cut = TXT_CHUNK
        while cut > 0 and (data[cut] & 0xC0) == 0x80:  # do not split a multi-byte character
            cut -= 1
        chunks.append(data[:cut])
        data = data[cut:]
    chunks.append(data)
    return chunks


def txt_presentation(text: str) -> str:
    """Joined text -> quoted, escaped, 255-byte-split presentation (`"part1" "part2"`)."""
    rd = dns_txt.TXT(dns_rdataclass.IN, dns_rdatatype.TXT, txt_chunks(text))
    return rd.to_text()


def txt_from_presentation(content: str) -> str:
    """Cloudflare TXT content -> joined text, read as Cloudflare stores it (facts row 6c).

    Content made of quoted character-strings is joined (a string longer than 255 bytes included:
    Cloudflare accepts it and splits it itself); anything else is bare text, taken as is."""
    stripped = content.strip()
    if not stripped.startswith('"'):
        return content
    inner = stripped[1:-1]
    if (
        len(stripped) > 1
        and stripped[-1] == '"'
        and inner.isascii()
        and inner.isprintable()
        and '"' not in inner
        and "\\" not in inner
    ):
        return inner  # one quoted string of printable ASCII without escapes: the tokenizer gives it as is
    strings = quoted_strings(stripped)
    if strings is None:
        return content
    return b"".join(strings).decode("utf-8", errors="surrogateescape")


def quoted_strings(text: str) -> list[bytes] | None:
    """`"a" "b"` -> [b"a", b"b"] (RFC 1035 §5.1 escapes undone, no length limit); None unless the
    text is nothing but quoted strings."""
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


def display_value(rdtype: str, value: str) -> str:
    """How a canonical value is shown to people: TXT quoted as one string, others as-is."""
    if rdtype == "TXT":
        return quote(value)
    return value


def relative_name(fqdn: str, zone: str) -> str:
    """'www.example.com' -> 'www'; the apex -> '@' (names in zone files are relative)."""
    if fqdn == zone:
        return "@"
    suffix = "." + zone
    return fqdn[: -len(suffix)] if fqdn.endswith(suffix) else fqdn + "."


def quote(text: str) -> str:
    """A zone-file quoted string (RFC 1035 §5.1): backslashes and double quotes escaped."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
