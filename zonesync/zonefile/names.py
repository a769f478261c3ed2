"""Cloudflare's rules for DNS names, checked offline so that no batch fails on a name `validate` accepted.

Cloudflare refuses a record whose name breaks these rules (code 9007, "DNS record name is invalid"), and one
refused operation rolls back its whole batch. The rules, after Cloudflare's DNS documentation ("Wildcard DNS
records": `*` is a wildcard only as the whole first label, elsewhere a literal character) and its answers:

- a label is 1-63 characters of letters, digits, `-` and `_`, and neither starts nor ends with `-`: the
  LDH labels of RFC 1035 §2.3.1 (a digit may lead, RFC 1123 §2.1), plus the underscore labels of service
  names (RFC 8552: `_dmarc`, `_sip._tcp`, `_acme-challenge`);
- `*` only as the whole leftmost label (RFC 4592 §2.1.1): `*.example.com`, never `**`, `*x`, `a.*.b`;
- the whole name, zone included, at most 253 characters (255 octets on the wire, RFC 1035 §3.1).

Targets of CNAME, MX, NS and PTR follow the same rules without the wildcard. Zone names are stricter:
registered domains, so LDH labels only (no `_`, no `*`) and at least two labels. The same checks keep a
zone name or a DKIM selector that becomes part of a file name from ever holding a `/` or `..`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from zonesync.base.features import lazy

if TYPE_CHECKING:
    import dns.name

dns_name: Any = lazy("dns.name")
dns_exception: Any = lazy("dns.exception")

MAX_LABEL = 63
MAX_NAME = 253

_LABEL = r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?"
_LDH_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
OWNER_NAME = re.compile(rf"(?:\*|{_LABEL})(?:\.{_LABEL})*")
"""A record name Cloudflare accepts (relative or absolute, without the trailing dot)."""
HOST_NAME = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")
"""A CNAME/MX/NS/PTR target or a DKIM selector: as OWNER_NAME without the wildcard."""
ZONE_NAME = re.compile(rf"{_LDH_LABEL}(?:\.{_LDH_LABEL})+")

RULES = (
    "labels of 1-63 letters, digits, '-' and '_', not starting or ending with '-'; "
    "'*' only as the whole leftmost label; at most 253 characters in all"
)


def name_problem(name: str, *, wildcard: bool = True) -> str | None:
    """Why Cloudflare would refuse `name` (a full name without the trailing dot), or None.

    With `wildcard=False` (record targets, selectors) a `*` label is refused too."""
    pattern = OWNER_NAME if wildcard else HOST_NAME
    if len(name) <= MAX_NAME and pattern.fullmatch(name):
        return None
    if len(name) > MAX_NAME:
        return f"it is {len(name)} characters long, over the {MAX_NAME} a DNS name can have"
    return labels_problem(name.split("."), wildcard) or f"it breaks Cloudflare's name rules ({RULES})"


def dns_name_problem(name: dns.name.Name, *, wildcard: bool = True) -> str | None:
    """`name_problem` for a name dnspython parsed: its labels as they go on the wire, so an escaped dot
    (`a\\.b`) or space (`my\\032host`) is judged as the character it stands for."""
    labels = [label.decode("latin-1") for label in name.labels if label]
    problem = labels_problem(labels, wildcard)
    if problem is None and len(".".join(labels)) > MAX_NAME:
        return f"it is {len('.'.join(labels))} characters long, over the {MAX_NAME} a DNS name can have"
    return problem


def labels_problem(labels: Sequence[str], wildcard: bool) -> str | None:
    """The first label Cloudflare would refuse, and why; None when all are fine."""
    for index, label in enumerate(labels):
        if label == "*":
            if not wildcard:
                return "'*' is a wildcard, which is allowed only in record names"
            if index:
                return "'*' is a wildcard only as the whole leftmost label (`*.example.com`)"
            continue
        if not label:
            return "it has an empty label (two dots in a row, or a leading dot)"
        if len(label) > MAX_LABEL:
            return f"label {label[:20]!r}... is {len(label)} characters long, over the {MAX_LABEL} allowed"
        if "*" in label:
            return f"label {label!r}: '*' is a wildcard only as a whole label of its own, leftmost (`*.example.com`)"
        bad = sorted({ch for ch in label if not (ch.isascii() and (ch.isalnum() or ch in "-_"))})
        if bad:
            shown = " ".join(repr(ch) for ch in bad)
            return f"label {label!r} holds {shown}: a label has only letters, digits, '-' and '_'"
        if label.startswith("-") or label.endswith("-"):
            return f"label {label!r} starts or ends with '-'"
    return None


def zone_problem(name: dns.name.Name | str) -> str | None:
    """Why `name` is not a zone Cloudflare can host (a registered domain: LDH labels, two or more), or None.

    Checked wherever a zone name is used, also as a file name (`zones/<zone>.yaml`, `<zone>_<selector>.key`)."""
    if isinstance(name, str):
        text = name[:-1] if name.endswith(".") else name
        if len(text) <= MAX_NAME and ZONE_NAME.fullmatch(text):
            return None
        labels = text.split(".")
    else:
        labels = [label.decode("latin-1") for label in name.labels if label]
    if len(labels) < 2:
        return "a zone needs at least two labels, like example.com"
    problem = labels_problem(labels, wildcard=False)
    if problem is None and any("_" in label for label in labels):
        return "a zone is a registered domain: letters, digits and '-' only, no '_'"
    if problem is None and len(".".join(labels)) > MAX_NAME:
        return f"it is over the {MAX_NAME} characters a DNS name can have"
    return problem


def zone_name(text: str) -> str:
    """`text` as a zone Cloudflare can host, in canonical form (lower case, no final dot); ValueError says
    why not. A plain name (LDH labels, no escapes) is its own canonical form: dnspython, which parses the
    others, is then not loaded (a plan's first request waits on this)."""
    plain = text.strip()
    if zone_problem(plain) is None:  # LDH labels only, as dnspython would read them
        return plain.removesuffix(".").lower()
    try:
        name = dns_name.from_text(text.strip())
    except dns_exception.DNSException as exc:
        raise ValueError(f"{text!r} is not a valid domain name: {exc}") from None
    problem = zone_problem(name)
    if problem is not None:
        raise ValueError(f"{text!r} is not a zone Cloudflare can host: {problem}")
    return name.to_text(omit_final_dot=True).lower()
