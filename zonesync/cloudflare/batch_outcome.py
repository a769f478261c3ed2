"""Did a batch land? Decided from the live zone, read back after an answer that did not say. Pure.

A /dns_records/batch request is one transaction at Cloudflare, so after a lost answer (a reset, a 5xx, a
timeout, a garbled 200) the zone holds either all of the batch or none of it. Each change is looked up
in the live records: a delete landed when its id is gone, an update when its id holds the new record, a
create when a record equal to the new one exists. Anything else (some landed and some not, or a record
in neither its old nor its new state) means someone else changed the zone meanwhile.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from zonesync.model import Record
from zonesync.plan.model import Change


@dataclass(frozen=True)
class BatchState:
    """The changes of one batch sorted by what the live zone shows."""

    landed: tuple[Change, ...]
    """The new state is live."""
    not_landed: tuple[Change, ...]
    """The old state is live."""
    neither: tuple[Change, ...]
    """Neither: the record was changed or removed by someone else."""

    @property
    def all_landed(self) -> bool:
        return not self.not_landed and not self.neither

    @property
    def none_landed(self) -> bool:
        return not self.landed and not self.neither


def batch_state(changes: Sequence[Change], live: Sequence[Record]) -> BatchState:
    by_id = {r.id: r for r in live if r.id}
    equal = Counter(live)
    landed: list[Change] = []
    not_landed: list[Change] = []
    neither: list[Change] = []
    for change in changes:
        before, after = change.before, change.after
        if change.action == "create":
            assert after is not None
            (landed if equal[after] > 0 else not_landed).append(change)
            continue
        assert before is not None
        current = by_id.get(before.id) if before.id is not None else None
        if change.action == "delete":
            if current is None:
                landed.append(change)
            else:
                (not_landed if current == before else neither).append(change)
        elif current is not None and current == after:
            landed.append(change)
        elif current is not None and current == before:
            not_landed.append(change)
        else:
            neither.append(change)
    return BatchState(tuple(landed), tuple(not_landed), tuple(neither))
