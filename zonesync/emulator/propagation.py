"""Propagation delay: the authoritative DNS server serves each zone as it was `delay` seconds ago.

Cloudflare answers an API write at once, but its nameservers serve the change a little later: usually within
seconds, about a minute at most (docs/cloudflare-api-facts.md row D5).
With a delay set, a recorder thread notes every new version of every zone (a copy of its records, stamped
with the time it was seen) and the DNS server answers from the newest copy at least `delay` seconds old. A
zone created less than `delay` seconds ago is not served yet (REFUSED, as for a zone the server does not
know). Copies older than the one being served are dropped. Like the rest of the emulator this models
Cloudflare, not zonesync, and imports none of it.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .store import Store

POLL_SECONDS = 0.02
"""How often the recorder looks for new zone versions: a change is stamped at most this late."""


@dataclass(eq=False)
class ZoneView:
    """A zone's records as of one version: what `Authority` reads from a zone (name, id, by_name, version;
    its DNSSEC keys are the live zone's, which have their own delay knob)."""

    name: str
    id: str
    version: int
    by_name: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    live: Any = None
    """The store's zone this is a copy of."""

    @property
    def dnssec(self) -> Any:
        return None if self.live is None else self.live.dnssec


class Propagation:
    """Each zone's versions with the time they appeared; `served()` is what a nameserver serves now."""

    def __init__(self, store: Store, delay: float) -> None:
        self.store = store
        self.delay = float(delay)
        self._history: dict[str, list[tuple[float, ZoneView | None]]] = {}
        """zone id -> (time seen, its records then; None: the zone was deleted), oldest first."""
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.record(initial=True)

    def record(self, initial: bool = False) -> None:
        """Note every zone whose version changed since the last look (at start: stamped as long served)."""
        now = float("-inf") if initial else time.monotonic()
        with self.store.lock:
            fresh = [
                ZoneView(
                    zone.name,
                    zone.id,
                    zone.version,
                    {n: {rid: dict(r) for rid, r in recs.items()} for n, recs in zone.by_name.items()},
                    zone,
                )
                for zone in self.store.zone_by_name.values()
                if not self._has(zone.id, zone.version)
            ]
            live = {zone.id for zone in self.store.zone_by_name.values()}
        with self._lock:
            for view in fresh:
                self._history.setdefault(view.id, []).append((now, view))
            for zone_id, versions in self._history.items():
                if zone_id not in live and versions[-1][1] is not None:
                    versions.append((now, None))

    def _has(self, zone_id: str, version: int) -> bool:
        with self._lock:
            versions = self._history.get(zone_id)
            if not versions:
                return False
            last = versions[-1][1]
            return last is not None and last.version == version

    def served(self) -> dict[str, ZoneView]:
        """Zone name -> the view a nameserver serves now: the newest at least `delay` seconds old."""
        due = time.monotonic() - self.delay
        out: dict[str, ZoneView] = {}
        with self._lock:
            for versions in self._history.values():
                ripe = [i for i, (at, _) in enumerate(versions) if at <= due]
                if not ripe:
                    continue
                del versions[: ripe[-1]]  # older copies are never served again
                view = versions[0][1]
                if view is not None:
                    out.setdefault(view.name, view)
        return out

    def start(self) -> Propagation:
        def run() -> None:
            while not self._stop.wait(POLL_SECONDS):
                self.record()

        self._thread = threading.Thread(target=run, name="dns-propagation", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None
