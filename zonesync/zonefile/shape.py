"""The zone file's shape: the keys each block holds, and a hint for a key written at the wrong depth.

YAML nests by indentation, so one space too few moves a key out of its block (`mx:` under `mail:` becomes
a top-level key) and one line too few makes a block empty. The loader and the `mail:` parser refuse such a
key as unknown; `misplaced` says where it belongs when only one block holds it. Pure: no I/O.
"""

from __future__ import annotations

TOP_KEYS = ("zone", "ttl", "proxied", "enterprise", "ignore", "records", "mail", "max_changes", "dnssec")
RECORD_KEYS = ("type", "value", "values", "ttl", "proxied", "comment", "tags")

MAIL_KEYS = (
    "preset", "mx", "hosts", "spf", "dkim", "dkim_rotation", "dmarc", "mta_sts", "tls_rpt", "key_dir", "relay",
    "dane",
)  # fmt: skip
MX_KEYS = ("host", "priority")
HOST_KEYS = ("ipv4", "ipv6")
SPF_KEYS = ("allow", "all", "on_mx_hosts")
DKIM_DATES = ("published", "active_since", "retiring_since", "revoked_since")
"""The dates a selector's key rotation records (docs/dkim-rotation.md)."""
DKIM_KEYS = ("selector", "algorithm", "private_key", "state", *DKIM_DATES)
DMARC_KEYS = (
    "policy", "subdomain_policy", "nonexistent_policy", "testing", "percent", "adkim", "aspf", "rua", "ruf",
    "failure_options",
)  # fmt: skip
"""`percent` is known only to be refused with its replacement named (RFC 9989 removed `pct`)."""
MTA_STS_KEYS = ("mode", "max_age", "mx", "host", "script")
TLS_RPT_KEYS = ("rua",)

_MAIL_SECTIONS = {
    "spf": SPF_KEYS,
    "dmarc": DMARC_KEYS,
    "mta_sts": MTA_STS_KEYS,
    "tls_rpt": TLS_RPT_KEYS,
    "dkim": DKIM_KEYS,
}
"""The mail sections written as a mapping (mx, hosts and dkim may also be lists: their keys are per item)."""

TOP, RECORDS, RECORD, MAIL = "top", "records", "record", "mail"
"""Where an unknown key was found: the top level, under `records:`, in a record set, in `mail:`."""


def _section_of(key: str) -> str | None:
    """The one mail section that holds `key`, or None (none or several do)."""
    owners = [name for name, keys in _MAIL_SECTIONS.items() if key in keys]
    return owners[0] if len(owners) == 1 else None


def misplaced(key: str, where: str, block: str | None = None) -> str:
    """The hint for an unknown `key` found at `where` (TOP, RECORDS, RECORD or MAIL; `block` is the name of
    the block the key most likely belongs to: the record name just above it under `records:`). Returns the
    hint with its leading separator (": ..."), or "" when the shape does not say where the key belongs."""
    if where == TOP:
        if key in MAIL_KEYS:
            return f": `{key}` is a key of `mail:` — indent it under `mail:`"
        if key in RECORD_KEYS:
            return f": `{key}` is a key of a record set — indent it under a name in `records:`"
        section = _section_of(key)
        if section is not None:
            return f": `{key}` is a key of `mail: {section}:` — indent it under `{section}:`"
    elif where == RECORDS:
        if key in RECORD_KEYS:
            under = f"`{block}:`" if block else "its name"
            return f": `{key}` is a key of a record set — indent it under {under}"
        if key in TOP_KEYS or key in MAIL_KEYS:
            owner = "a top-level key: write it without indentation" if key in TOP_KEYS else "a key of `mail:`"
            return f": `{key}` is {owner}"
    elif where == RECORD:
        if key in TOP_KEYS:
            return f": `{key}` is a top-level key — write it without indentation"
    elif where == MAIL:
        section = _section_of(key)
        if section is not None:
            return f": `{key}` is a key of `{section}:` — indent it under `{section}:`"
        if key in TOP_KEYS:
            return f": `{key}` is a top-level key — write it without indentation"
    return ""


def empty_block_hint(name: str, following: list[str]) -> str:
    """The hint for a block `name:` left empty while the keys written after it (`following`, the keys of
    the enclosing mapping that come next) are keys of a record set: they were meant to be indented under
    it. "" when they are not."""
    keys = []
    for key in following:
        if key not in RECORD_KEYS:
            break
        keys.append(f"`{key}:`")
    if not keys:
        return ""
    return f": the {', '.join(keys)} after it are not indented under it — indent them under `{name}:`"
