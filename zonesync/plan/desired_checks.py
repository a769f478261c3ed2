"""Checks that need the whole desired record set (user records and the mail expansion together).

Per-record checks happen while loading (`zonesync.zonefile.load`); these are the ones no single record can
fail alone. All are pure: records in, diagnostics out.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import groupby
from operator import attrgetter

from zonesync.model import Diagnostic, Record, Source
from zonesync.zonefile.record_limits import check_set


def _where(record: Record) -> Source:
    return record.source or Source("<zone>")


def _place(record: Record) -> str:
    src = record.source
    if src is None:
        return "?"
    where = f"line {src.line}" if src.line else src.path
    return f"{where} ({src.origin})" if src.origin else where


def check_record_set(records: Iterable[Record], zone: str) -> list[Diagnostic]:
    """CNAME exclusivity (RFC 1034 §3.6.2; Cloudflare refuses it too), duplicate values, and Cloudflare's
    limit on the content of all the records of one name and type (`zonesync.zonefile.record_limits`).

    Walks the records grouped by name (a stable sort, so within a name the first declaration comes first
    and is the one an error points back to)."""
    out: list[Diagnostic] = []
    records = list(records)
    out.extend(check_targets(records, zone))
    out.extend(check_reserved(records, zone))
    ordered = sorted(records, key=attrgetter("name"))  # keys are the records' own strings: no copies
    for name, group in groupby(ordered, key=attrgetter("name")):
        recs = list(group)
        if len(recs) == 1:  # nothing to be a duplicate of or beside (most names), nor to add up with
            continue
        too_much = check_set(recs)
        if too_much is not None:
            out.append(too_much)
        first_of: dict[tuple[str, str], Record] = {}
        for rec in recs:
            first = first_of.setdefault((rec.type, rec.value), rec)
            if first is not rec:
                out.append(
                    Diagnostic(
                        "error",
                        _where(rec),
                        f"duplicate {rec.type} value at {rec.name} (already declared at {_place(first)}): "
                        "DNS keeps one copy, remove the other",
                    )
                )
        cnames = [r for r in recs if r.type == "CNAME"]
        if not cnames:
            continue
        if len(cnames) > 1:
            out.append(
                Diagnostic(
                    "error",
                    _where(cnames[1]),
                    f"{name} has more than one CNAME: a name can alias only one target",
                )
            )
        others = [r for r in recs if r.type != "CNAME"]
        if others:
            other = others[0]
            out.append(
                Diagnostic(
                    "error",
                    _where(cnames[0]),
                    f"CNAME at {name} cannot sit beside other records ({other.type} at {_place(other)}): "
                    "a CNAME must be alone at its name (RFC 1034), move the other records or use A/AAAA",
                )
            )
    return out


TARGET_TYPES = frozenset({"CNAME", "MX", "NS", "SRV", "PTR"})


def check_reserved(records: Iterable[Record], zone: str) -> list[Diagnostic]:
    """A record at the zone lock's name (`zonesync.plan.zone_lock`), of any type: zonesync owns that name, and
    neither shows nor touches what is there, so a record declared there could never be applied."""
    from zonesync.plan.zone_lock import is_lock_name, lock_name

    return [
        Diagnostic(
            "error",
            _where(rec),
            f"{rec.name} {rec.type}: the name {lock_name(zone)} is reserved for zonesync's zone lock "
            "(docs/git-ops.md#2-one-writer-per-zone): use another name",
        )
        for rec in records
        if is_lock_name(rec.name, zone)
    ]


def check_targets(records: Iterable[Record], zone: str) -> list[Diagnostic]:
    """A target that reads like an outside domain but lies inside the zone: a forgotten trailing dot."""
    from zonesync.zonefile.relative_targets import meant_outside

    out: list[Diagnostic] = []
    inside = "." + zone + "."
    for rec in records:
        if rec.type not in TARGET_TYPES or (rec.source is not None and rec.source.origin):
            continue
        target = rec.value.rsplit(" ", 1)[-1]
        if not target.endswith(inside) or (meant := meant_outside(target, zone)) is None:
            continue
        out.append(
            Diagnostic(
                "warning",
                _where(rec),
                f"{rec.type} target `{meant[:-1]}` has no trailing dot, so it is relative to the zone and means "
                f"{target}; if you meant the outside host, write `{meant}` (with the trailing dot)",
            )
        )
    return out
