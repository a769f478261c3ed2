"""desired + live -> changes. Pure and deterministic.

Records are grouped by (name, type). Within a group, equal values are kept (an update only if a setting
such as TTL, proxied, comment or tags differs); the remaining live records are turned into in-place
updates of the remaining desired ones, keeping their Cloudflare ids, before anything is created or
deleted. Output is sorted by name, type, action and value.
"""

from __future__ import annotations

import fnmatch
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import groupby
from operator import attrgetter

from zonesync.model import IgnoreRule, Record
from zonesync.plan import Change
from zonesync.rdata import relative_name


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


def _groups(records: Iterable[Record]) -> Iterator[tuple[tuple[str, str], list[Record]]]:
    """(name, type) groups in key order. Sorted by name alone, whose keys are the records' own strings, then
    split by type within each name: far less memory than a dict of lists or a tuple key per record."""
    by_name = attrgetter("name")
    for name, grouped in groupby(sorted(records, key=by_name), key=by_name):
        group = list(grouped)
        if len(group) == 1:  # most names hold one record
            yield (name, group[0].type), group
            continue
        by_type: dict[str, list[Record]] = defaultdict(list)
        for rec in group:
            by_type[rec.type].append(rec)
        for rtype in sorted(by_type):
            yield (name, rtype), by_type[rtype]


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
    want, have = _groups(desired), _groups(managed_live)
    w, h = next(want, None), next(have, None)
    while w is not None or h is not None:  # merge the two key-ordered walks
        if h is None or (w is not None and w[0] < h[0]):
            assert w is not None
            changes.extend(_diff_group(w[1], []))
            w = next(want, None)
        elif w is None or h[0] < w[0]:
            changes.extend(_diff_group([], h[1]))
            h = next(have, None)
        else:
            wants, haves = w[1], h[1]
            if (
                len(wants) == 1
                and len(haves) == 1
                and wants[0].value == haves[0].value
                and not wants[0].pending
            ):
                # what _diff_group does with one record on each side and the same value, the commonest case
                if wants[0].settings() != haves[0].settings():
                    changes.append(Change("update", haves[0], _with_id(wants[0], haves[0])))
            else:
                changes.extend(_diff_group(wants, haves))
            w, h = next(want, None), next(have, None)
    changes.sort(key=Change.sort_key)
    return Diff(tuple(changes), ignored, managed_live)


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
