"""What a zone holds after a list of changes: the model the provider's apply must match (test helper)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from zonesync.model import Record
from zonesync.plan.model import Change


def apply_changes(live: Sequence[Record], changes: Iterable[Change]) -> list[Record]:
    """What the zone holds after `changes` (the model the provider's apply must match)."""
    by_id = {r.id: r for r in live}
    extra: list[Record] = []
    for change in changes:
        if change.action == "delete":
            assert change.before is not None
            by_id.pop(change.before.id)
        elif change.action == "update":
            assert change.before is not None and change.after is not None
            by_id[change.before.id] = change.after
        else:
            assert change.after is not None
            extra.append(change.after)
    return [*by_id.values(), *extra]
