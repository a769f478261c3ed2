"""The typed values every stage passes along: records, where they came from, diagnostics, ignore rules,
what an apply did.

A record here is always canonical (absolute lower-case name without the trailing dot, as Cloudflare
spells names; a value in the canonical text that `zonesync.zonefile.rdata` produces), so equality is comparison.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    pass

AUTO_TTL = 1
"""Cloudflare's "automatic" TTL, as the API spells it."""

PROXIABLE_TYPES = frozenset({"A", "AAAA", "CNAME"})


@dataclass(frozen=True, slots=True)
class Source:
    """Where a declaration lives, so every error and plan line can point at it."""

    path: str
    line: int | None = None
    field: str | None = None
    origin: str | None = None  # e.g. "mail:dkim" for records the mail block generated

    def at(self, field: str | None = None, line: int | None = None) -> Source:
        return Source(self.path, line if line is not None else self.line, field or self.field, self.origin)

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        return f"{where}: {self.field}" if self.field else where


@dataclass(frozen=True, slots=True)
class Record:
    """One DNS record in canonical form.

    `value` is the comparison key: dnspython's canonical presentation (embedded names absolute and
    lower-cased) or, for TXT, the joined text of all character strings. `ttl` 1 means automatic.
    `proxied` is None for types Cloudflare cannot proxy. `id` is set for live records only and
    `source` says where a desired record was declared; neither takes part in equality.
    """

    name: str
    type: str
    value: str
    ttl: int = AUTO_TTL
    proxied: bool | None = None
    comment: str | None = None
    tags: tuple[str, ...] = ()
    id: str | None = field(default=None, compare=False)
    source: Source | None = field(default=None, compare=False, repr=False)
    pending: bool = field(default=False, compare=False)
    """True when the value is not known until apply (a DKIM key that apply will generate)."""

    def settings(self) -> tuple[int, bool | None, str | None, tuple[str, ...]]:
        """Everything but the identity (name, type, value): what an in-place update may change."""
        return (self.ttl, self.proxied, self.comment, self.tags)


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """A finding of the offline checks; errors stop the run, warnings are printed."""

    level: Literal["error", "warning"]
    source: Source
    message: str

    def __str__(self) -> str:
        return f"{self.source}: {self.level}: {self.message}"


@dataclass(frozen=True, slots=True)
class IgnoreRule:
    """Live records never touched: `name` is an fnmatch glob on the relative name ('@' = apex)."""

    name: str
    types: tuple[str, ...] = ()
    line: int = 0


BATCH_LIMITS = {"free": 200}


DEFAULT_PAID_BATCH_LIMIT = 3_500
"""Operations per /dns_records/batch request: Free 200, Pro/Business/Enterprise 3,500
(developers.cloudflare.com/dns/manage-dns-records/how-to/batch-record-changes/)."""


@dataclass(frozen=True, slots=True)
class ZoneInfo:
    id: str
    name: str
    plan: str
    account_id: str = ""
    """The zone object's `account.id`: where its Workers live, and which account holds it (to tell two
    zones of the same name apart)."""

    @property
    def batch_limit(self) -> int:
        return BATCH_LIMITS.get(self.plan, DEFAULT_PAID_BATCH_LIMIT)
