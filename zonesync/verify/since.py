"""`verify --since FILE`: what changed between an earlier `verify --format json` result and this one. Pure: both
sides are JSON documents of schema zonesync/schemas/verify.schema.json (the current one rendered first).

A check is named by (zone, topic, subject); where several findings share a name, the worst status counts. A
check that started failing (now fail or error, before not, or not there), one that recovered (before fail or
error, now not, or gone), one whose status moved otherwise (pass to warn), and a record set whose served
values changed (or that appeared, or is no longer served) are each one Change.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

FAILING = ("fail", "error")
_RANK = {"pass": 0, "warn": 1, "fail": 2, "error": 3}
KINDS = ("failing", "recovered", "status", "value")
"""The order changes are shown in: what broke first."""


@dataclass(frozen=True)
class Change:
    zone: str
    kind: str
    """failing, recovered, status (another move, like pass to warn), value (a served record set changed)."""
    subject: str
    """`topic subject` for a check, `name TYPE` for a record set."""
    before: str
    """The earlier status and message (or values); empty when it was not there."""
    after: str
    """The status and message (or values) now; empty when it is no longer there."""


def _checks(doc: Mapping[str, Any]) -> dict[tuple[str, str], tuple[str, str]]:
    """(zone, `topic subject`) -> (worst status, its message)."""
    out: dict[tuple[str, str], tuple[str, str]] = {}
    groups = [(z.get("zone", ""), z.get("findings", [])) for z in doc.get("zones", [])]
    groups.append(("this machine", doc.get("machine", [])))
    for zone, findings in groups:
        for f in findings:
            key = (str(zone), f"{f.get('topic', '')} {f.get('subject', '')}")
            status, message = str(f.get("status", "")), str(f.get("message", ""))
            seen = out.get(key)
            if seen is None or _RANK.get(status, 0) > _RANK.get(seen[0], 0):
                out[key] = (status, message)
    return out


def _served(doc: Mapping[str, Any]) -> dict[tuple[str, str], tuple[str, ...]]:
    return {
        (str(z.get("zone", "")), str(name)): tuple(str(v) for v in values)
        for z in doc.get("zones", [])
        for name, values in (z.get("served") or {}).items()
    }


def _show(state: tuple[str, str] | None) -> str:
    return "" if state is None else f"{state[0]}: {state[1]}"


def compare(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[Change]:
    """The changes from `before` to `after`, grouped by kind (KINDS order), then by zone and subject."""
    out: list[Change] = []
    old, new = _checks(before), _checks(after)
    for key in sorted(old.keys() | new.keys()):
        was, now = old.get(key), new.get(key)
        was_bad = was is not None and was[0] in FAILING
        now_bad = now is not None and now[0] in FAILING
        if now_bad and not was_bad:
            kind = "failing"
        elif was_bad and not now_bad:
            kind = "recovered"
        elif was is not None and now is not None and was[0] != now[0]:
            kind = "status"
        else:
            continue
        out.append(Change(key[0], kind, key[1], _show(was), _show(now)))
    old_values, new_values = _served(before), _served(after)
    both = {z for z, _ in old_values} & {z for z, _ in new_values}  # a zone new or gone is not "changed"
    for key in sorted(old_values.keys() | new_values.keys()):
        was_v, now_v = old_values.get(key), new_values.get(key)
        if key[0] in both and was_v != now_v:
            out.append(Change(key[0], "value", key[1], ", ".join(was_v or ()), ", ".join(now_v or ())))
    order = {k: i for i, k in enumerate(KINDS)}
    return sorted(out, key=lambda c: (order[c.kind], c.zone, c.subject))
