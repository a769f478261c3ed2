"""The plan is a value: what would change in each zone, computed from the live records it was read from.

Renderers (`zonesync.render`) print it; the provider applies it; nothing here talks to the network.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Literal

from zonesync.mail.mta_sts_worker import Domain, Kind, Script
from zonesync.model import Diagnostic, Record, ZoneInfo
from zonesync.plan.zone_lock import LockRecord

if TYPE_CHECKING:
    from zonesync.plan.dnssec import DnssecPlan

Action = Literal["create", "update", "delete"]
ACTION_ORDER: dict[str, int] = {"delete": 0, "update": 1, "create": 2}
"""Cloudflare's batch order (deletes, patches/puts, posts): applying in this order never conflicts."""


@dataclass(frozen=True, slots=True)
class Change:
    action: Action
    before: Record | None = None
    after: Record | None = None

    @property
    def record(self) -> Record:
        rec = self.after or self.before
        assert rec is not None
        return rec

    @property
    def name(self) -> str:
        return self.record.name

    @property
    def type(self) -> str:
        return self.record.type

    def changed_fields(self) -> list[tuple[str, object, object]]:
        """(field, before, after) for each field an update changes."""
        if self.before is None or self.after is None:
            return []
        out = []
        for fname in ("value", "ttl", "proxied", "comment", "tags"):
            old, new = getattr(self.before, fname), getattr(self.after, fname)
            if old != new:
                out.append((fname, old, new))
        return out

    def sort_key(self) -> tuple[tuple[str, ...], str, int, str]:
        """DNS order (RFC 4034 §6.1: labels compared from the right, so the apex comes first and a name's
        children follow it), then type, action and value."""
        return (
            tuple(reversed(self.name.split("."))),
            self.type,
            ACTION_ORDER[self.action],
            self.record.value,
        )


@dataclass(frozen=True, slots=True)
class SkippedRecord:
    """A live record left alone, with the reason (read-only, managed by Cloudflare, unsupported type)."""

    name: str
    type: str
    content: str
    reason: str


@dataclass(frozen=True)
class ZonePlan:
    zone: str
    path: str
    zone_id: str
    changes: tuple[Change, ...]
    live_count: int
    saved_fingerprint: str | None
    """The fingerprint a saved plan carries; None for a plan made here, whose `managed` records give it."""
    skipped: tuple[SkippedRecord, ...] = ()
    ignored: int = 0
    warnings: tuple[Diagnostic, ...] = ()
    desired_count: int = 0
    workers: WorkerPlan | None = None
    """The Worker serving the MTA-STS policy (`mail.mta_sts.host: worker`), when this zone has or had one."""
    dnssec: DnssecPlan | None = None
    """DNSSEC wanted against its live state (`dnssec:` in the zone file); None: left alone, never read."""
    managed: Sequence[Record] = field(default=(), repr=False, compare=False)
    """The live records the changes were computed against (not kept in a saved plan: its fingerprint is)."""

    @cached_property
    def fingerprint(self) -> str:
        """Of the managed live records (see `fingerprint`). Computed when first asked, by a saved or JSON
        plan or a staleness check: a plan only printed never pays for hashing every record."""
        return self.saved_fingerprint if self.saved_fingerprint is not None else fingerprint(self.managed)

    @property
    def worker_changes(self) -> tuple[WorkerChange, ...]:
        return self.workers.changes if self.workers is not None else ()

    def counts(self) -> dict[str, int]:
        """DNS and Worker changes by action (what plans and apply reports show)."""
        out = {"create": 0, "update": 0, "delete": 0}
        changes: tuple[Change | WorkerChange, ...] = (*self.changes, *self.worker_changes)
        for change in changes:
            out[change.action] += 1
        return out

    def record_counts(self) -> dict[str, int]:
        """DNS changes only: what the safety limits, which are about records, count."""
        out = {"create": 0, "update": 0, "delete": 0}
        for change in self.changes:
            out[change.action] += 1
        return out

    @property
    def dnssec_action(self) -> str | None:
        """ "enable" or "disable" when the plan turns DNSSEC on or off, else None."""
        return self.dnssec.action if self.dnssec is not None else None

    @property
    def has_changes(self) -> bool:
        return bool(self.changes or self.worker_changes or self.dnssec_action)


@dataclass(frozen=True)
class Plan:
    zones: tuple[ZonePlan, ...] = field(default_factory=tuple)

    @property
    def has_changes(self) -> bool:
        return any(z.has_changes for z in self.zones)

    def counts(self) -> dict[str, int]:
        total = {"create": 0, "update": 0, "delete": 0}
        for zp in self.zones:
            for key, n in zp.counts().items():
                total[key] += n
        return total


def fingerprint(records: Iterable[Record]) -> str:
    """A digest of every field of every live record a plan was computed from (ids included), so a saved
    plan can tell whether the zone changed since. Order-independent without sorting: the per-record
    SHA-256 values are summed (mod 2**256), then hashed with the count, so a 100,000-record zone needs no
    list of 100,000 strings."""
    total, count = 0, 0
    for r in records:
        line = "\x1f".join(
            (
                r.id or "",
                r.name,
                r.type,
                r.value,
                str(r.ttl),
                str(r.proxied),
                r.comment or "",
                ",".join(r.tags),
            )
        )
        total += int.from_bytes(hashlib.sha256(line.encode("utf-8", "surrogateescape")).digest(), "big")
        count += 1
    final = hashlib.sha256(f"{count}:{total % (1 << 256):064x}".encode())
    return "sha256:" + final.hexdigest()


@dataclass
class ApplyReport:
    """What applying one zone's changes did: filled batch by batch by the provider."""

    zone: str
    batches: int = 0
    applied: list[Change] = field(default_factory=list)
    not_applied: list[Change] = field(default_factory=list)
    error: str | None = None
    unknown: list[Change] = field(default_factory=list)
    """Changes of a batch whose answer was lost and whose zone could not be read back to settle it."""
    notes: list[str] = field(default_factory=list)
    """Answers lost, then settled by reading the zone back: the batch had landed."""
    stale: bool = False
    """Someone else (another run) changed the zone during the apply; `error` says how (exit 3)."""


@dataclass(frozen=True, slots=True)
class WorkerChange:
    action: Action
    kind: Kind
    before: Script | Domain | None = None
    after: Script | Domain | None = None

    @property
    def name(self) -> str:
        """The script's name, or the custom domain's hostname."""
        item = self.after or self.before
        assert item is not None
        return item.name if isinstance(item, Script) else item.hostname


@dataclass(frozen=True)
class WorkerPlan:
    """The Worker part of a zone's plan: the state it was computed from (for saved-plan staleness) and the
    changes."""

    hostname: str
    scripts: tuple[str, ...]  # the script names read
    fingerprint: str
    changes: tuple[WorkerChange, ...] = ()


@dataclass(frozen=True)
class LiveZone:
    zone: ZoneInfo
    records: tuple[Record, ...]
    skipped: tuple[SkippedRecord, ...]
    lock: LockRecord | None = None
    """zonesync's zone lock record (`zonesync.plan.zone_lock`): never among the records, so never planned."""
