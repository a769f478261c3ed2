"""desired + live -> changes. Pure and deterministic.

Records are grouped by (name, type). Within a group, equal values are kept (an update only if a setting
such as TTL, proxied, comment or tags differs); the remaining live records are turned into in-place
updates of the remaining desired ones, keeping their Cloudflare ids, before anything is created or
deleted. Output is sorted by name, type, action and value.
"""

from __future__ import annotations

import fnmatch
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from zonesync.model import IgnoreRule, Record
from zonesync.plan.model import Change
from zonesync.zonefile.rdata import relative_name


@dataclass(frozen=True)
class Diff:
    changes: tuple[Change, ...]
    ignored: tuple[Record, ...]
    managed: Sequence[Record]
    """The live records the changes were computed against (the plan's fingerprint covers exactly these)."""


def is_ignored(record: Record, rules: Sequence[IgnoreRule], zone: str) -> bool:
    if not rules:
        return False
    rel = relative_name(record.name, zone)
    return any(
        fnmatch.fnmatchcase(rel, rule.name) and (not rule.types or record.type in rule.types)
        for rule in rules
    )


def _by_name(records: Iterable[Record]) -> dict[str, Record | list[Record]]:
    """Records by name: most names hold one record, kept as itself (a list only where a name holds more),
    keyed by the records' own name strings: no key object per record."""
    out: dict[str, Record | list[Record]] = {}
    for rec in records:
        held = out.setdefault(rec.name, rec)
        if held is not rec:
            if type(held) is list:
                held.append(rec)
            else:
                out[rec.name] = [held, rec]  # type: ignore[list-item]
    return out


def _listed(held: Record | list[Record] | None) -> list[Record]:
    """A `_by_name` entry (or no entry) as a list."""
    if held is None:
        return []
    return held if isinstance(held, list) else [held]


def _by_type(held: Record | list[Record] | None) -> dict[str, list[Record]]:
    by_type: dict[str, list[Record]] = defaultdict(list)
    for rec in _listed(held):
        by_type[rec.type].append(rec)
    return by_type


def split_ignored(
    live: Sequence[Record], rules: Sequence[IgnoreRule], zone: str
) -> tuple[Sequence[Record], tuple[Record, ...]]:
    """(the live records zonesync manages, those the ignore rules protect)."""
    if not rules:
        return live, ()
    managed: list[Record] = []
    ignored: list[Record] = []
    for rec in live:
        (ignored if is_ignored(rec, rules, zone) else managed).append(rec)
    return managed, tuple(ignored)


def diff(
    desired: Sequence[Record], live: Sequence[Record], zone: str, ignore: Sequence[IgnoreRule] = ()
) -> Diff:
    managed_live, ignored = split_ignored(live, ignore, zone)
    changes: list[Change] = []
    have = _by_name(managed_live)
    for name, wanted in _by_name(desired).items():
        held = have.pop(name, None)
        if (
            type(wanted) is Record
            and type(held) is Record
            and wanted.type == held.type
            and wanted.value == held.value
            and not wanted.pending
        ):
            # what _diff_group does with one record on each side and the same value, the commonest case
            if wanted.settings() != held.settings():
                changes.append(Change("update", held, _with_id(wanted, held)))
            continue
        changes.extend(_diff_name(wanted, held))
    for held in have.values():  # names only live records hold
        changes.extend(_diff_name(None, held))
    changes.sort(key=Change.sort_key)
    return Diff(tuple(changes), ignored, managed_live)


def _diff_name(wanted: Record | list[Record] | None, held: Record | list[Record] | None) -> list[Change]:
    """One name's changes: each type's records through `_diff_group`."""
    wants, haves = _by_type(wanted), _by_type(held)
    out: list[Change] = []
    for rtype in sorted(wants.keys() | haves.keys()):
        out.extend(_diff_group(wants.get(rtype, []), haves.get(rtype, [])))
    return out


def _diff_group(want: list[Record], have: list[Record]) -> list[Change]:
    out: list[Change] = []
    live_by_value: dict[str, list[Record]] = defaultdict(list)
    for rec in have:
        live_by_value[rec.value].append(rec)
    unmatched_want: list[Record] = []
    for rec in want:
        matches = live_by_value.get(rec.value)
        if matches and not rec.pending:
            old = matches.pop(0)
            if old.settings() != rec.settings():
                out.append(Change("update", old, _with_id(rec, old)))
        else:
            unmatched_want.append(rec)
    unmatched_have = sorted(
        (r for rs in live_by_value.values() for r in rs), key=lambda r: (r.value, r.id or "")
    )
    unmatched_want.sort(key=lambda r: r.value)
    for old, new in zip(unmatched_have, unmatched_want, strict=False):
        out.append(Change("update", old, _with_id(new, old)))
    n = min(len(unmatched_have), len(unmatched_want))
    out.extend(Change("delete", before=old) for old in unmatched_have[n:])
    out.extend(Change("create", after=new) for new in unmatched_want[n:])
    return out


def _with_id(new: Record, old: Record) -> Record:
    return Record(
        new.name, new.type, new.value, new.ttl, new.proxied, new.comment, new.tags,
        id=old.id, source=new.source, pending=new.pending,
    )  # fmt: skip
