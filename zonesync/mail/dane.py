"""`mail.dane:` -> the `_25._tcp.<mx>` TLSA `3 1 1` records, and the checks of the block. Pure.

The pins come from `dane_keys.resolve_pins` (the recorded ones, checked against the server's certificate or
key file when it can be read there).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from zonesync.mail.dane_spec import DaneHost
from zonesync.mail.tlsa import record_name, record_value
from zonesync.model import Diagnostic, Record, Source


def dane_records(
    hosts: Sequence[DaneHost], pins: Mapping[str, tuple[str, ...]], ttl: int
) -> tuple[Record, ...]:
    """One TLSA record per pin of each MX host inside the zone (current first, then next)."""
    out = []
    for h in hosts:
        if not h.in_zone:
            continue
        src = Source(h.source.path, h.source.line, h.source.field, "mail:dane")
        for pin in pins.get(h.host, h.pins):
            out.append(Record(record_name(h.host), "TLSA", record_value(pin), ttl, source=src))
    return tuple(out)


def check_dane(hosts: Sequence[DaneHost], mx_hosts: Iterable[str], zone: str) -> list[Diagnostic]:
    """A `mail.dane` host that is no MX host of the zone is an error (a pin nobody looks up); one in another
    zone gets a warning and no record (its TLSA record belongs in that zone)."""
    mx = list(mx_hosts)
    out = []
    for h in hosts:
        if h.host not in mx:
            listed = ", ".join(mx) or "none"
            out.append(
                Diagnostic(
                    "error",
                    h.source,
                    f"{h.host} is not an MX host of {zone} (MX hosts: {listed}): senders look up TLSA records "
                    "only for the MX hosts",
                )
            )
        elif not h.in_zone:
            out.append(
                Diagnostic(
                    "warning",
                    h.source,
                    f"note: {h.host} is outside {zone}, so no TLSA record is published here: put "
                    f"`mail.dane` for it in the zone file of its own zone (TLSA at {record_name(h.host)})",
                )
            )
    return out
