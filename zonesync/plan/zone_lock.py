"""The zone lock: at most one `apply` writes a zone at a time, across machines. Pure: names, the lock
record's content, expiry and the batch operations that take, refresh and release it; the provider sends
them inside the apply's own batches and the orchestration waits.

Cloudflare offers no lock, so one is built from two of its rules:

* only one CNAME can exist at a name (81053, cloudflare-api-facts.md rows 2a/2b), so the lock record,
  a CNAME at `_zonesync-lock.<zone>`, exists at most once (the `.invalid` top-level domain of its content
  never resolves, RFC 6761);
* a batch is one transaction (row 16), and patching or deleting a record id that no longer exists fails
  it whole (81044, row 9).

The record is permanent, as external-dns keeps its TXT registry: once a zone was applied it stays, free
(`free.<generation>.<run>.lock.zonesync.invalid`) or held (`held.<generation>.<expiry-unix>.<run>.lock.
zonesync.invalid`). Every apply's first batch deletes it by the id this run read when it planned (or,
when none existed, only posts one: a second creator then collides on the CNAME rule) and posts its own,
held; each later batch patches that one by id (a new expiry, and proof that nobody broke it); the last
patches it back to free with the next generation. A one-batch apply posts it free at once (its delete
and post in one batch, no extra request). So a run whose zone another apply wrote since its read fails
its first batch whole (the id it deletes is gone, or the name is taken): nothing of it is written, and
it reads the zone again before deciding anything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

LABEL = "_zonesync-lock"
SUFFIX = "lock.zonesync.invalid"
LOCK_OPS = 2
"""Operations of a batch the lock may take (the first: a delete and a post; the others: a patch), on top
of the record changes."""
DEFAULT_LEASE = 600
"""Seconds a lock holds without a refresh. Each batch refreshes it, and the longest pause zonesync makes
on its own between two batches is a 5-minute rate-limit wait: twice that."""
DEFAULT_TIMEOUT = 300
"""Seconds `apply` waits for another run's lock before it stops."""
POLL_SECONDS = 3.0
"""Seconds between two looks at a held lock (one small GET each)."""
COMMENT = "zonesync apply lock: see docs/git-ops.md"
_HOLDER = r"([0-9a-f]{8,32})"
_HELD = re.compile(r"^held\.(\d{1,12})\.(\d{1,12})\." + _HOLDER + r"\." + re.escape(SUFFIX) + r"$")
_FREE = re.compile(r"^free\.(\d{1,12})\." + _HOLDER + r"\." + re.escape(SUFFIX) + r"$")
_LEGACY = re.compile(r"^(\d{1,12})\." + _HOLDER + r"\." + re.escape(SUFFIX) + r"$")
"""The held lock of zonesync before the record was permanent (generation 0)."""


def lock_name(zone: str) -> str:
    """The lock record's name in `zone`."""
    return f"{LABEL}.{zone}"


def is_lock_name(name: str, zone: str) -> bool:
    return name.rstrip(".").lower() == lock_name(zone)


def new_holder() -> str:
    """A random id for this run (it names the holder in other runs' messages; nothing else identifies it)."""
    import secrets  # not at start-up: `zonesync --help` imports this module for its defaults

    return secrets.token_hex(6)


def held_content(expires: int, holder: str, generation: int = 0) -> str:
    return f"held.{generation}.{expires}.{holder}.{SUFFIX}"


def free_content(generation: int, holder: str) -> str:
    """The lock record between applies: free, with the generation of the apply that wrote it last."""
    return f"free.{generation}.{holder}.{SUFFIX}"


@dataclass(frozen=True, slots=True)
class LockRecord:
    """The lock record as listed: its id and content."""

    id: str
    content: str

    def _parsed(self) -> tuple[int, int, str | None]:
        """(generation, expiry, holder); holder None when free (or the content is not zonesync's)."""
        text = self.content.rstrip(".").lower()
        if m := _HELD.match(text):
            return int(m.group(1)), int(m.group(2)), m.group(3)
        if m := _FREE.match(text):
            return int(m.group(1)), 0, None
        if m := _LEGACY.match(text):
            return 0, int(m.group(1)), m.group(2)
        return 0, 0, None

    @property
    def holder(self) -> str | None:
        """The holding run's id; None when free (or the content is not zonesync's: treated as free)."""
        return self._parsed()[2]

    @property
    def expires(self) -> int:
        """Unix time the hold ends (0 when free)."""
        return self._parsed()[1]

    @property
    def generation(self) -> int:
        """How many applies wrote the zone under this record (0 when unknown)."""
        return self._parsed()[0]

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
    run posted, while a landed batch left it held."""

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
        self.pending_generation: int | None = None

    @property
    def generation(self) -> int:
        """The generation this run's apply writes: one more than the record it replaces (fixed once held)."""
        if self.held is not None and self.pending_generation is not None:
            return self.pending_generation
        return (self.current.generation if self.current is not None else 0) + 1

    @property
    def releasing(self) -> bool:
        """The batch in flight leaves the lock free."""
        return self.pending is not None and self.pending.startswith("free.")

    def ops(self, now: float, last: bool) -> dict[str, list[dict[str, Any]]]:
        """The lock's operations for the next batch: take it (while not held: delete the record read by id,
        post this run's), refresh it, or give it back (`last`: patched, or posted, free)."""
        self.pending_generation = self.generation
        if last:
            self.pending = free_content(self.generation, self.holder)
        else:
            self.pending = held_content(int(now) + self.lease, self.holder, self.generation)
        if self.held is not None:
            return {"patches": [{"id": self.held, "content": self.pending}]}
        deletes = [{"id": self.current.id}] if self.current is not None else []
        return {"deletes": deletes, "posts": [record_body(self.pending)]}

    def landed(self, record: LockRecord | None) -> None:
        """The batch landed: `record` is the lock record it left (from the answer, or the zone read back)."""
        freed = self.releasing
        self.current = record
        self.held = record.id if record is not None and not freed else None
        self.pending = None

    def shows_landed(self, live: LockRecord | None) -> bool:
        """Does the zone read back show that the lock part of the batch in flight landed?"""
        return live is not None and self.pending is not None and live.content == self.pending

    def still_ours(self, live: LockRecord | None) -> bool:
        """Before a batch that did not land: the lock is still as this run left it (nobody took it)."""
        if self.held is not None:
            return live is not None and live.id == self.held
        if self.current is None:
            return live is None
        return live is not None and live.id == self.current.id and live.content == self.current.content
