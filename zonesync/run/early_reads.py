"""The reads a plan starts with, the zone lookup and then each zone's listing (GETs only), started before
the zone files are parsed, so the wait for Cloudflare overlaps the parsing. Its own module, loading nothing
of the parsing, planning or checking code: the reads start as soon as the SDK is loaded."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from concurrent.futures import Future

    from zonesync.model import ZoneInfo
    from zonesync.plan.model import LiveZone
    from zonesync.run.provider import Provider
    from zonesync.zonefile.config import ZoneConfig

T = TypeVar("T")

MAX_WORKERS = 8
"""Zones read, planned and applied at a time."""


class LiveReads:
    """The reads `plan_all` starts with — the zone lookup, then each zone's listing (GETs only) — started
    before the zone files are parsed, so the wait for Cloudflare overlaps the parsing. `plan_all` takes
    their results in place of its own calls (each request is made once); their errors surface only there,
    after every file was checked. A run stopped by a bad zone file discards them, errors included.

    Up to 8 at a time, as `parallel`, on daemon threads: discarded reads still in flight (an unreachable API
    retrying for seconds) do not hold up the exit the way concurrent.futures' pool, joined at exit, would."""

    def __init__(self, provider: Provider, names: Sequence[str]) -> None:
        import queue
        import threading

        self.names = tuple(names)
        self._provider = provider
        self._queue: queue.SimpleQueue[tuple[Future[object], Callable[[], object]] | None]
        self._queue = queue.SimpleQueue()
        self._listings: dict[str, Future[LiveZone]] = {}
        self._threads = min(MAX_WORKERS, max(1, len(self.names)))
        self._closed = False
        self._lookup = self._submit(self._look_up)
        self._workers = [
            threading.Thread(target=self._work, name="zonesync-read", daemon=True)
            for _ in range(self._threads)
        ]
        for thread in self._workers:
            thread.start()

    def _submit(self, call: Callable[[], T]) -> Future[T]:
        from concurrent.futures import Future

        future: Future[T] = Future()
        self._queue.put((future, call))  # type: ignore[arg-type]
        return future

    def _work(self) -> None:
        while (item := self._queue.get()) is not None:
            future, call = item
            if future.set_running_or_notify_cancel():
                try:
                    future.set_result(call())
                except BaseException as exc:  # kept for the consumer, as concurrent.futures does
                    future.set_exception(exc)

    def _look_up(self) -> dict[str, ZoneInfo]:
        zones = self._provider.find_zones(self.names)
        for name in dict.fromkeys(self.names):  # listings in the order plan_all asks for them
            if name in zones and not self._closed:
                zone = zones[name]
                self._listings[name] = self._submit(lambda zone=zone: self._provider.list_records(zone))
        return zones

    def covers(self, configs: Sequence[ZoneConfig]) -> bool:
        """True when these reads are exactly the ones planning `configs` makes."""
        return set(self.names) == {c.zone for c in configs}

    def zones(self) -> dict[str, ZoneInfo]:
        return self._lookup.result()

    def live(self, zone: ZoneInfo) -> LiveZone:
        self._lookup.result()
        return self._listings[zone.name].result()

    def close(self, wait: bool = True) -> None:
        """Drop the reads not started and stop the threads, waiting for the reads in flight (none once
        `plan_all` took them all: the CLI's quick exit needs no other thread left); `wait=False` when a bad
        zone file stops the run: those in flight end on their own, their answers unused."""
        self._closed = True
        self._lookup.cancel()
        for future in list(self._listings.values()):
            future.cancel()
        for _ in range(self._threads):
            self._queue.put(None)
        if wait:
            for thread in self._workers:
                thread.join()
