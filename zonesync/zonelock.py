"""The zone lock: at most one `apply` writes a zone at a time, across machines. Pure: names, the lock
record's content, expiry and the batch operations that take, refresh and release it; the provider sends
them inside the apply's own batches and the orchestration waits.

Cloudflare offers no lock, so one is built from two of its rules:

* only one CNAME can exist at a name (81053, cloudflare-api-facts.md rows 2a/2b), so the lock record,
  a CNAME at `_zonesync-lock.<zone>` with content `<expiry-unix>.<holder>.lock.zonesync.invalid` (the
  `.invalid` top-level domain never resolves, RFC 6761), exists at most once;
* a batch is one transaction (row 16), and patching or deleting a record id that no longer exists fails
  it whole (81044, row 9).

The apply's first batch posts the lock record (with an expired one's delete, to break it): if another run
holds the lock, the batch fails whole and nothing is written. Each later batch patches it by id (a new
expiry, and proof that nobody broke it: a batch whose lock was taken over fails whole), and the last batch
deletes it by id (Cloudflare runs a batch's deletes first, so the first batch cannot also release it: a
one-batch apply gives it back with one more request, a batch holding that delete alone).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

LABEL = "_zonesync-lock"
SUFFIX = "lock.zonesync.invalid"
LOCK_OPS = 2
"""Operations of a batch the lock may take (a delete and a post), on top of the record changes."""
DEFAULT_LEASE = 600
"""Seconds a lock holds without a refresh. Each batch refreshes it, and the longest pause zonesync makes
on its own between two batches is a 5-minute rate-limit wait: twice that."""
DEFAULT_TIMEOUT = 300
"""Seconds `apply` waits for another run's lock before it stops."""
POLL_SECONDS = 3.0
"""Seconds between two looks at a held lock (one small GET each)."""
COMMENT = "zonesync apply lock: see docs/git-ops.md"
_HELD = re.compile(r"^(\d{1,12})\.([0-9a-f]{8,32})\." + re.escape(SUFFIX) + r"$")


def lock_name(zone: str) -> str:
    """The lock record's name in `zone`."""
    return f"{LABEL}.{zone}"


def is_lock_name(name: str, zone: str) -> bool:
    return name.rstrip(".").lower() == lock_name(zone)


def new_holder() -> str:
    """A random id for this run (it names the holder in other runs' messages; nothing else identifies it)."""
    import secrets  # not at start-up: `zonesync --help` imports this module for its defaults

    return secrets.token_hex(6)


def held_content(expires: int, holder: str) -> str:
    return f"{expires}.{holder}.{SUFFIX}"


@dataclass(frozen=True, slots=True)
class LockRecord:
    """The lock record as listed: its id and content."""

    id: str
    content: str

    @property
    def holder(self) -> str | None:
        """The holding run's id; None when free (or the content is not zonesync's: treated as free)."""
        m = _HELD.match(self.content.rstrip(".").lower())
        return m.group(2) if m else None

    @property
    def expires(self) -> int:
        """Unix time the hold ends (0 when free)."""
        m = _HELD.match(self.content.rstrip(".").lower())
        return int(m.group(1)) if m else 0

    def held_by_other(self, holder: str, now: float) -> bool:
        """Someone else holds it and the hold has not expired."""
        return self.holder is not None and self.holder != holder and self.expires > now


def record_body(content: str) -> dict[str, Any]:
    """The API body of the lock record with `content`."""
    return {
        "type": "CNAME",
        "name": LABEL,
        "content": content,
        "ttl": 60,
        "proxied": False,
        "comment": COMMENT,
    }


class LockSession:
    """One run's hold on one zone's lock, operation by operation. Not thread-safe (one per zone).

    `current` is the lock record this run last saw (None: none exists); `held` is the id of the record this
    run posted, once a batch carrying it landed."""

    def __init__(self, current: LockRecord | None, *, holder: str | None = None, lease: int = DEFAULT_LEASE):
        self.current = current
        self.holder = holder or new_holder()
        self.lease = lease
        self.held: str | None = None
        self.pending: str | None = None
        """The content the batch in flight writes (what a landed batch shows)."""
        self.contended = False
        """A first batch failed because another run changed the lock first; `busy` is what it left."""
        self.busy: LockRecord | None = None

    @property
    def releasing(self) -> bool:
        return self.held is not None and self.pending is None

    def ops(self, now: float, last: bool) -> dict[str, list[dict[str, Any]]]:
        """The lock's operations for the next batch: take it (while not held), refresh it, or give it back
        (`last`, once held)."""
        if self.held is not None and last:
            self.pending = None
            return {"deletes": [{"id": self.held}]}
        self.pending = held_content(int(now) + self.lease, self.holder)
        if self.held is not None:
            return {"patches": [{"id": self.held, "content": self.pending}]}
        deletes = [{"id": self.current.id}] if self.current is not None else []  # an expired hold, broken
        return {"deletes": deletes, "posts": [record_body(self.pending)]}

    def landed(self, record: LockRecord | None) -> None:
        """The batch landed: `record` is the lock record it left (from the answer, or the zone read back)."""
        self.current = record
        self.held = record.id if record is not None else None
        self.pending = None

    def shows_landed(self, live: LockRecord | None) -> bool:
        """Does the zone read back show that the lock part of the batch in flight landed?"""
        if self.releasing:
            return live is None or live.id != self.held
        return live is not None and live.content == self.pending

    def still_ours(self, live: LockRecord | None) -> bool:
        """Before a batch that did not land: the lock is still as this run left it (nobody took it)."""
        if self.held is not None:
            return live is not None and live.id == self.held
        if self.current is None:
            return live is None
        return live is not None and live.id == self.current.id and live.content == self.current.content
