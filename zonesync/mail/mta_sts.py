"""MTA-STS (RFC 8461): the policy file, the `_mta-sts` record whose id follows the policy, and checks.

The id is derived from the policy text (sha256, first 24 hex digits), so it changes exactly when the
policy changes and repeated plans are stable (RFC 8461 §3.1: senders refetch the policy when the id
changes). The policy always starts with `version: STSv1` (§3.2): without it receivers ignore it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

Finding = tuple[str, str]

MAX_AGE_LIMIT = 31557600
"""RFC 8461 §3.2: max_age is at most 31557600 seconds (about a year)."""
MIN_RECOMMENDED_MAX_AGE = 86400
"""RFC 8461 §3.2 recommends a max_age of weeks or more; under a day the policy protects little."""

_ID = re.compile(r"^[A-Za-z0-9]{1,32}$")
_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$", re.I)


def record_name(zone: str) -> str:
    return f"_mta-sts.{zone}"


def policy_host(zone: str) -> str:
    """The HTTPS host that serves the policy (RFC 8461 §3.3)."""
    return f"mta-sts.{zone}"


def policy_url(zone: str) -> str:
    return f"https://{policy_host(zone)}/.well-known/mta-sts.txt"


def is_sts(text: str) -> bool:
    return text.lstrip().startswith("v=STSv1")


def policy_text(mode: str, mx: Iterable[str], max_age: int) -> str:
    """The policy file, CRLF-separated as RFC 8461 §3.2 describes, keys in its example's order."""
    lines = ["version: STSv1", f"mode: {mode}", *(f"mx: {m}" for m in mx), f"max_age: {max_age}"]
    return "\r\n".join(lines) + "\r\n"


def policy_id(policy: str) -> str:
    return hashlib.sha256(policy.encode("utf-8")).hexdigest()[:24]


def record_text(policy_id_: str) -> str:
    return f"v=STSv1; id={policy_id_}"


def id_problem(value: str) -> str | None:
    if not _ID.match(value):
        return (
            f"id {value!r} must be 1 to 32 letters or digits (RFC 8461 §3.1); senders ignore the record, so the "
            "policy is never fetched"
        )
    return None


def pattern_problem(pattern: str) -> str | None:
    """RFC 8461 §3.2 / §4.1: a host name, or `*.` followed by one; the wildcard is a whole leftmost label."""
    name = pattern[2:] if pattern.startswith("*.") else pattern
    labels = name.rstrip(".").split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        return (
            f"mx pattern {pattern!r} is not a host name or `*.`-wildcard (RFC 8461 §3.2): senders cannot match "
            "your MX against it"
        )
    return None


def pattern_matches(pattern: str, host: str) -> bool:
    """RFC 8461 §4.1: `*.example.com` matches one extra leftmost label, not the name itself or deeper."""
    pattern, host = pattern.lower().rstrip("."), host.lower().rstrip(".")
    if pattern.startswith("*."):
        first, _, rest = host.partition(".")
        return bool(first) and rest == pattern[2:]
    return pattern == host


def check_record(text: str) -> list[Finding]:
    parts = [p.strip() for p in text.split(";") if p.strip()]
    if not parts or parts[0].replace(" ", "") != "v=STSv1":
        return [("error", "an MTA-STS record must start with `v=STSv1` (RFC 8461 §3.1)")]
    tags = {}
    for p in parts[1:]:
        name, _, value = p.partition("=")
        tags[name.strip()] = value.strip()
    if "id" not in tags:
        return [("error", "no `id=`: senders ignore an MTA-STS record without one (RFC 8461 §3.1)")]
    problem = id_problem(tags["id"])
    return [("error", problem)] if problem else []


def check_max_age(max_age: int, mode: str) -> list[Finding]:
    if not 0 <= max_age <= MAX_AGE_LIMIT:
        return [
            (
                "error",
                f"max_age {max_age} is outside 0..{MAX_AGE_LIMIT} seconds (RFC 8461 §3.2): senders reject the "
                "policy; 604800 (a week) is common",
            )
        ]
    if mode != "none" and max_age < MIN_RECOMMENDED_MAX_AGE:
        return [
            (
                "warning",
                f"max_age {max_age} is under a day: senders forget the policy quickly, so an attacker who blocks "
                "the policy fetch can downgrade TLS; RFC 8461 §3.2 recommends weeks (604800 = a week)",
            )
        ]
    return []
