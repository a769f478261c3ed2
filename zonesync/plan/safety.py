"""Change thresholds: a plan that would delete or rewrite much of a zone is refused unless forced.

Defaults follow octoDNS (`Plan.MAX_SAFE_UPDATE_PCENT` / `MAX_SAFE_DELETE_PCENT` = 0.3,
`MIN_EXISTING_RECORDS` = 10): in a zone with 10 or more existing records zonesync manages, more than 30%
of them updated, or more than 30% deleted, is unsafe. Updates and deletes are counted separately;
creates never trip the check. A zone file may set its own limits with `max_changes`:

    max_changes: 50%                 # updates and deletes: at most 50% each
    max_changes: 20                  # at most 20 updates and 20 deletes, whatever the zone's size
    max_changes: off                 # never refuse this zone (e.g. generated zones)
    max_changes:                     # or each part on its own
      update: 50%
      delete: 5
      min_records: 20                # percentages apply from this zone size on (default 10)

Pure functions of the plan: nothing here talks to the network. A refusal is an UnsafePlanError (exit 4)
naming the zone and what tripped it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from zonesync.errors import UnsafePlanError, ZoneFileError
from zonesync.model import Source
from zonesync.plan.model import ZonePlan
from zonesync.zonefile import rdata

DEFAULT_PERCENT = 30.0
MIN_EXISTING = 10
LIMIT_KEYS = ("update", "delete", "min_records")


@dataclass(frozen=True)
class Limit:
    """One threshold: at most `count` changes, or at most `percent` of the zone's managed records."""

    count: int | None = None
    percent: float | None = None

    def __str__(self) -> str:
        if self.count is not None:
            return str(self.count)
        if self.percent is not None:
            return f"{self.percent:g}%"
        return "off"

    def to_json(self) -> str:
        return str(self)


OFF = Limit()


@dataclass(frozen=True)
class Limits:
    update: Limit = Limit(percent=DEFAULT_PERCENT)
    delete: Limit = Limit(percent=DEFAULT_PERCENT)
    min_records: int = MIN_EXISTING
    source: str = "default"  # "default" or "file:line" of the max_changes setting

    def to_json(self) -> dict[str, Any]:
        return {
            "update": self.update.to_json(),
            "delete": self.delete.to_json(),
            "min_records": self.min_records,
            "source": self.source,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Limits:
        return cls(
            update=_limit(data.get("update"), None),
            delete=_limit(data.get("delete"), None),
            min_records=int(data.get("min_records", MIN_EXISTING)),
            source=str(data.get("source", "default")),
        )


DEFAULT = Limits()

_PERCENT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%\s*$")


def _limit(value: Any, src: Source | None) -> Limit:
    """50% | 20 | off -> Limit. src None: trusted JSON from a plan file (raise ValueError)."""

    def bad(msg: str) -> Exception:
        return ZoneFileError(src, msg) if src is not None else ValueError(msg)

    if value is False or (isinstance(value, str) and value.strip().lower() in ("off", "none", "unlimited")):
        return OFF
    if isinstance(value, bool):
        raise bad("must be a count (20), a percentage (50%) or off, not true")
    if isinstance(value, int):
        if value < 0:
            raise bad(f"must not be negative, not {value}")
        return Limit(count=value)
    if isinstance(value, str):
        m = _PERCENT.match(value)
        if m:
            pct = float(m.group(1))
            if pct > 100:
                raise bad(f"{value} is more than 100%")
            return Limit(percent=pct)
        if value.strip().isdigit():
            return Limit(count=int(value))
    raise bad(f"must be a count (20), a percentage (50%) or off, not {value!r}")


def limits_for(config: Any) -> Limits:
    """The zone's limits from its `max_changes` setting (ZoneFileError at its line when malformed)."""
    raw = getattr(config, "max_changes", None)
    if raw is None:
        return DEFAULT
    line = getattr(config, "max_changes_line", 0) or None
    src = Source(config.path, line, "max_changes")
    where = f"{config.path}:{line}" if line else config.path
    if isinstance(raw, Mapping):
        unknown = [k for k in raw if k not in LIMIT_KEYS]
        if unknown:
            raise ZoneFileError(src, f"unknown key {unknown[0]!r} (expected {', '.join(LIMIT_KEYS)})")
        min_records = raw.get("min_records", MIN_EXISTING)
        if isinstance(min_records, bool) or not isinstance(min_records, int) or min_records < 0:
            raise ZoneFileError(src.at("max_changes.min_records"), f"must be a number, not {min_records!r}")
        return Limits(
            update=_limit(raw.get("update", f"{DEFAULT_PERCENT:g}%"), src.at("max_changes.update")),
            delete=_limit(raw.get("delete", f"{DEFAULT_PERCENT:g}%"), src.at("max_changes.delete")),
            min_records=min_records,
            source=where,
        )
    limit = _limit(raw, src)
    return Limits(update=limit, delete=limit, min_records=MIN_EXISTING, source=where)


def managed_count(zp: ZonePlan) -> int:
    """Existing records zonesync manages in the zone (skipped and ignored ones aside)."""
    return max(zp.live_count - len(zp.skipped) - zp.ignored, 0)


def _trips(action: str, n: int, existing: int, limit: Limit, limits: Limits) -> str | None:
    if n == 0 or limit == OFF:
        return None
    if limit.count is not None:
        if n > limit.count:
            return f"{n} {action}s exceed the limit of {limit.count}"
        return None
    assert limit.percent is not None
    if existing < limits.min_records:
        return None
    share = 100.0 * n / existing
    if share > limit.percent:
        return (
            f"{n} of {existing} existing records would be {action}d ({share:.0f}% > {limit.percent:g}% limit)"
        )
    return None


def check(zp: ZonePlan, limits: Limits = DEFAULT, force: bool = False) -> str | None:
    """Why this zone plan is unsafe, or None. `force` waives the thresholds, never the hard rule that a
    record zonesync cannot recreate is not deleted."""
    for change in zp.changes:
        if change.action == "delete" and change.type not in rdata.SUPPORTED_TYPES:
            return (
                f"{zp.zone}: refusing to delete {change.name} {change.type}: zonesync could not recreate it"
            )
    if zp.dnssec is not None:
        refusal = zp.dnssec.refusal(zp.zone, force)
        if refusal is not None:
            return refusal
    if force:
        return None
    counts = zp.record_counts()
    existing = managed_count(zp)
    problems = [
        p
        for p in (
            _trips("update", counts["update"], existing, limits.update, limits),
            _trips("delete", counts["delete"], existing, limits.delete, limits),
        )
        if p
    ]
    if not problems:
        return None
    where = "the default limits" if limits.source == "default" else f"max_changes at {limits.source}"
    return f"{zp.zone}: unsafe plan: {'; '.join(problems)} ({where}); review it and pass --force, or set `max_changes` in {zp.path}"


def enforce(items: Iterable[tuple[ZonePlan, Limits]], force: bool = False) -> None:
    """Raise UnsafePlanError naming every unsafe zone (checked before anything is written)."""
    problems = [p for zp, limits in items if zp.has_changes and (p := check(zp, limits, force))]
    if problems:
        raise UnsafePlanError("\n".join(problems) + "\nNothing was applied.")
