"""The organisational domain of a name, as RFC 9989 finds it: the DNS tree walk (§4.10) and its selection rules
(§4.10.2), as pure functions over the `_dmarc` records read; and, where no DNS is available (the offline
checks), the public suffix list's registrable domain, as RFC 7489 did.

The walk asks `_dmarc.<name>` for the starting name, then drops labels: one at a time while fewer than five
remain, else straight down to four, so no walk asks more than five questions; it stops at a record with
psd=n (and, after the first, at one with psd=y). Selection, from the longest name to the shortest: a record
with psd=n makes its domain the organisational domain; one with psd=y (not at the starting name) makes the
name one label below it the organisational domain; otherwise the shortest name with a record is; with no
record at all, the starting name is.
"""

from __future__ import annotations

from collections.abc import Mapping

from zonesync.mail.dkim import DkimParseError, parse_tags


def walk_names(domain: str) -> list[str]:
    """The names whose `_dmarc` record the tree walk asks, in order (without stopping early)."""
    labels = domain.rstrip(".").lower().split(".")
    out = [".".join(labels)]
    x = len(labels)
    while x > 1:
        x = x - 1 if x < 5 else 4
        out.append(".".join(labels[-x:]))
    return out


def psd_of(text: str) -> str:
    """A DMARC record's psd= value (y, n or u, the default)."""
    try:
        value = parse_tags(text).get("psd", "u")
    except DkimParseError:
        return "u"
    return value if value in ("y", "n") else "u"


def stops_at(name: str, start: str, record: str | None) -> bool:
    """Does the walk stop after reading `record` at `name` (§4.10 steps 2 and 7)?"""
    if record is None:
        return False
    psd = psd_of(record)
    return psd == "n" or (psd == "y" and name != start)


def organizational_domain(start: str, records: Mapping[str, str | None]) -> str:
    """RFC 9989 §4.10.2: the organisational domain of `start`, from the single valid DMARC record (or None)
    read at each name of its walk (`records`, keyed by name without `_dmarc.`)."""
    start = start.rstrip(".").lower()
    found = [n for n in walk_names(start) if records.get(n) is not None]
    for name in found:  # longest first
        psd = psd_of(records[name] or "")
        if psd == "n":
            return name
        if psd == "y" and name != start:
            labels = start.split(".")
            return ".".join(labels[-(len(name.split(".")) + 1) :])
    return found[-1] if found else start


def registrable_domain(domain: str) -> str:
    """The public suffix list's registrable domain (suffix plus one label), or `domain` itself when the list
    does not know its ending: what checks use where no DNS is available."""
    from publicsuffixlist import PublicSuffixList  # a big table: loaded only when needed

    domain = domain.rstrip(".").lower()
    return PublicSuffixList().privatesuffix(domain) or domain
