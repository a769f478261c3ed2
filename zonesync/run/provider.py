"""What the run asks of a DNS provider: one shape (as octoDNS's BaseProvider gives its providers one), which
the single-account provider (`zonesync.cloudflare.provider.CloudflareProvider`) and the several-account
router (`zonesync.cloudflare.router.AccountRouter`) both have. Structural (`typing.Protocol`): neither
inherits from it; the type checker checks that each has every method with these signatures.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from zonesync.mail.mta_sts_worker import LiveWorkers
    from zonesync.model import ZoneInfo
    from zonesync.plan.dnssec import DnssecState
    from zonesync.plan.model import ApplyReport, Change, LiveZone, WorkerChange
    from zonesync.plan.zone_lock import LockRecord, LockSession


class Workers(Protocol):
    """The Workers calls of one zone's account (`mail.mta_sts.host: worker`)."""

    def read(self, account_id: str, hostname: str, names: Sequence[str], zone: str) -> LiveWorkers:
        """The custom domain at `hostname` and the scripts named (plus the one that domain serves), checked.
        Raises ApiError."""
        ...

    def apply(
        self, account_id: str, zone: str, zone_id: str, changes: Sequence[WorkerChange]
    ) -> list[WorkerChange]:
        """The Worker changes, in the order given; returns those that landed. Raises ApiError at the first
        failure, its message saying which landed before it."""
        ...


class Dnssec(Protocol):
    """The DNSSEC calls of one zone's account."""

    def read(self, zone_id: str, zone: str) -> DnssecState:
        """Cloudflare's DNSSEC state of the zone, checked. Raises ApiError."""
        ...

    def set(self, zone_id: str, zone: str, enable: bool) -> DnssecState:
        """Turn signing on or off; the state Cloudflare answers, checked. Raises ApiError."""
        ...


class Provider(Protocol):
    """Everything the run asks of the DNS provider. Thread-safe: zones are planned and applied concurrently."""

    def find_zones(self, names: Sequence[str]) -> dict[str, ZoneInfo]:
        """The zones of `names` that exist (and the token can see), by name. Raises ApiError."""
        ...

    def list_records(self, zone: ZoneInfo) -> LiveZone:
        """The zone's live records, checked, each made once. Raises ApiError."""
        ...

    def read_lock(self, zone: ZoneInfo) -> LockRecord | None:
        """The zone lock record alone (to watch a lock another run holds). Raises ApiError."""
        ...

    def export(self, zone: ZoneInfo) -> str:
        """The provider's own BIND export of the zone. Raises ApiError."""
        ...

    def apply(
        self,
        zone: ZoneInfo,
        changes: Sequence[Change],
        batch_limit: int | None = None,
        lock: LockSession | None = None,
        release: bool = True,
        interrupted: Callable[[], bool] | None = None,
    ) -> ApplyReport:
        """The changes in batches of at most `batch_limit` (default: the zone's), under the zone lock
        `lock` (left held when `release` is False); no batch after the first once `interrupted()` is True.
        The report says which changes are live; it never raises for a failed batch."""
        ...

    def workers(self, zone: str) -> Workers:
        """The Workers calls for `zone`, made with its account's token and rate limit."""
        ...

    def dnssec(self, zone: str) -> Dnssec:
        """The DNSSEC calls for `zone` (`dnssec:` in a zone file), with its account's token and rate limit."""
        ...

    def close(self) -> None:
        """Close the connections (the provider is not used after)."""
        ...
