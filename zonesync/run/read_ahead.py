"""The reads a plan starts with, started before the zone files are parsed: the zone lookup, then each zone's
listing (GETs only), on threads of their own, so the wait for Cloudflare (and Cloudflare's own work) overlaps
the parse. Why it stays: without it, the bench's scenario 1 ratio fell past the bound of issue 22
(docs/performance.md, "Mechanisms that earn their place").

`ReadAhead` is a `Provider`: the run plans through it as through any provider, and the first zone lookup and
the first listing of each zone are answered by the reads already under way; every other call (a second
listing, the lock, the writes) goes to the provider it wraps. Each request is made once.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from functools import partial
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from zonesync.model import ZoneInfo
    from zonesync.plan.model import ApplyReport, Change, LiveZone
    from zonesync.plan.zone_lock import LockRecord, LockSession
    from zonesync.run.provider import Dnssec, Provider, Workers

T = TypeVar("T")

MAX_READS = 8
"""Reads in flight at a time (as zones planned at a time, `orchestrate.MAX_WORKERS`)."""

_Job = tuple["Future[object]", Callable[[], object]]


class ReadAhead:
    """`provider` with the lookup of `names` and then each found zone's listing already started.

    The reads run on daemon threads: reads abandoned in flight (a bad zone file stopped the run while an
    unreachable API retries) do not hold up the exit the way a `concurrent.futures` pool, joined at exit,
    would. Their errors surface only where the run asks for their answers, as without the read-ahead.
    """

    def __init__(self, provider: Provider, names: Sequence[str]) -> None:
        self.names = tuple(dict.fromkeys(names))
        self._provider = provider
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._listings: dict[str, Future[LiveZone]] = {}
        self._closed = False
        self._lookup: Future[dict[str, ZoneInfo]] | None = self._submit(self._look_up)
        self._threads = [
            threading.Thread(target=self._work, name="zonesync-read", daemon=True)
            for _ in range(min(MAX_READS, max(1, len(self.names))))
        ]
        for thread in self._threads:
            thread.start()

    def _submit(self, call: Callable[[], T]) -> Future[T]:
        future: Future[T] = Future()
        self._jobs.put((future, call))  # type: ignore[arg-type]
        return future

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            future, call = job
            if future.set_running_or_notify_cancel():
                try:
                    future.set_result(call())
                except BaseException as exc:  # kept for the caller, as concurrent.futures does
                    future.set_exception(exc)

    def _look_up(self) -> dict[str, ZoneInfo]:
        zones = self._provider.find_zones(self.names)
        with self._lock:
            for name in self.names:  # listings in the order the run asks for them
                if name in zones and not self._closed:
                    self._listings[name] = self._submit(partial(self._provider.list_records, zones[name]))
        return zones

    def covers(self, zones: Sequence[str]) -> bool:
        """True when these reads are exactly the ones a plan of `zones` makes."""
        return set(self.names) == set(zones)

    def find_zones(self, names: Sequence[str]) -> dict[str, ZoneInfo]:
        """The lookup started early when `names` are its names (the first time), else a lookup now."""
        with self._lock:
            lookup = self._lookup if set(names) == set(self.names) else None
            if lookup is not None:
                self._lookup = None
        if lookup is None:
            return self._provider.find_zones(names)
        return lookup.result()

    def list_records(self, zone: ZoneInfo) -> LiveZone:
        """The listing started early for this zone (the first time), else a listing now."""
        with self._lock:
            listing = self._listings.pop(zone.name, None)
        if listing is None:
            return self._provider.list_records(zone)
        live = listing.result()
        if live.zone.id != zone.id:  # not the zone asked about: never answer with another zone's records
            return self._provider.list_records(zone)
        return live

    def read_lock(self, zone: ZoneInfo) -> LockRecord | None:
        return self._provider.read_lock(zone)

    def export(self, zone: ZoneInfo) -> str:
        return self._provider.export(zone)

    def apply(
        self,
        zone: ZoneInfo,
        changes: Sequence[Change],
        batch_limit: int | None = None,
        lock: LockSession | None = None,
        release: bool = True,
        interrupted: Callable[[], bool] | None = None,
    ) -> ApplyReport:
        return self._provider.apply(zone, changes, batch_limit, lock, release, interrupted)

    def workers(self, zone: str) -> Workers:
        return self._provider.workers(zone)

    def dnssec(self, zone: str) -> Dnssec:
        return self._provider.dnssec(zone)

    def _stop(self) -> None:
        with self._lock:
            self._closed = True
            pending = [f for f in (self._lookup, *self._listings.values()) if f is not None]
            self._listings.clear()
        for future in pending:
            future.cancel()
        for _ in self._threads:
            self._jobs.put(None)

    def abandon(self) -> None:
        """Drop the reads: the run stops before planning (a bad zone file). Those in flight end on their own,
        their answers and errors unused; the provider is left open for them."""
        self._stop()

    def close(self) -> None:
        """Drop the reads not taken, wait for those in flight, then close the provider."""
        self._stop()
        for thread in self._threads:
            thread.join()
        self._provider.close()


def start(names: Sequence[str], open_provider: Callable[[], Provider]) -> ReadAhead | None:
    """Reads of the zones `names` under way, on the provider `open_provider()` gives; None when the provider
    cannot be opened now (no token, a bad accounts file): the run opens it again after the zone files are
    checked and reports that error then, so a bad zone file's error comes first, as without the read-ahead."""
    from zonesync.errors import ZonesyncError

    try:
        provider = open_provider()
    except ZonesyncError:
        return None
    return ReadAhead(provider, names)
