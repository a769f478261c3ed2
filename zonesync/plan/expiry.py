"""Saved-plan expiry: a plan carries when it was made and until when it may be applied, inside the body
its digest (or HMAC signature) covers, so neither can be changed without the plan being refused as
altered. Pure: durations, the two fields, and the check `apply PLAN.json` makes.

A plan that is applied again once its zones came back to the state it was planned against (a rollback,
a restored backup) would pass the staleness check: expiry bounds how long such a replay is possible.

* `created` and `expires`: UTC times, ISO 8601 with a `Z` (`2026-12-05T22:04:42Z`), members of the plan
  document next to `zones`.
* The lifetime is `plan --expires-in` or ZONESYNC_PLAN_TTL (`90s`, `30m`, `72h`, `3d`; a bare number is
  seconds), default 72 hours, at most 90 days.
* `apply` refuses (exit 3) a plan whose `expires` has passed, a plan made more than SKEW seconds in the
  future by this machine's clock (a wrong clock would otherwise stretch its life), and a plan without
  the two fields (made by a zonesync that did not write them).
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from zonesync.errors import StalePlanError, ZonesyncError

TTL_ENV = "ZONESYNC_PLAN_TTL"
DEFAULT_TTL = 72 * 3600
"""Seconds a saved plan may be applied after it was made, unless told otherwise."""
MAX_TTL = 90 * 86400
SKEW = 300
"""Seconds a plan's creation time may lie ahead of this machine's clock (clocks of two CI runners)."""
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATION = re.compile(r"^\s*(\d{1,9})\s*([smhd]?)\s*$")
_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
clock = time.time
"""The clock `stamp` and `check` read when given no time (replaced in tests)."""


class BadDurationError(ZonesyncError):
    """A plan lifetime that is not a duration zonesync reads."""


def parse_duration(text: str, what: str = "--expires-in") -> int:
    """Seconds from `text` (`90s`, `30m`, `72h`, `3d`, or a bare number of seconds). Raises
    BadDurationError naming `what` unless it is a whole duration from 1 second to MAX_TTL."""
    m = _DURATION.match(text)
    if not m:
        raise BadDurationError(
            f"{what}: {text[:40]!r} is not a duration: write a number and a unit, e.g. 72h, 30m, 3d, 90s"
        )
    seconds = int(m.group(1)) * _UNITS[m.group(2) or "s"]
    if not 1 <= seconds <= MAX_TTL:
        raise BadDurationError(f"{what}: {text.strip()} is out of range: from 1s to {MAX_TTL // 86400}d")
    return seconds


def format_time(seconds: float) -> str:
    """`seconds` since the epoch as the plan stores it (UTC, whole seconds)."""
    return datetime.fromtimestamp(int(seconds), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def read_time(value: object) -> float | None:
    """The time a plan stores, in seconds since the epoch; None for anything that is not one."""
    if not isinstance(value, str) or not _TIME.match(value):
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()
    except ValueError:
        return None


def _shown(seconds: float) -> str:
    return datetime.fromtimestamp(int(seconds), UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def stamp(body: Mapping[str, Any], *, now: float | None = None, ttl: int | None = None) -> dict[str, Any]:
    """`body` with `created` and `expires` (kept when it already has both: re-sealing an existing plan
    does not extend its life). `now` defaults to the clock, `ttl` to DEFAULT_TTL seconds."""
    out = dict(body)
    if "created" in out and "expires" in out:
        return out
    made = clock() if now is None else now
    out["created"] = format_time(made)
    out["expires"] = format_time(int(made) + (DEFAULT_TTL if ttl is None else ttl))
    return out


def check(doc: Mapping[str, Any], path: str, *, now: float | None = None, skew: int = SKEW) -> None:
    """Raise StalePlanError (exit 3, nothing written) unless the plan in `doc` may be applied at `now`
    (default: the clock): it carries valid `created` and `expires`, was not made more than `skew`
    seconds in the future, and has not expired."""
    created, expires = read_time(doc.get("created")), read_time(doc.get("expires"))
    if created is None or expires is None or expires <= created:
        raise StalePlanError(
            f"{path}: the plan carries no valid creation and expiry time (made by an older zonesync?): "
            "run `zonesync plan --out` again and review the new plan"
        )
    now = clock() if now is None else now
    if created > now + skew:
        raise StalePlanError(
            f"{path}: the plan says it was made at {_shown(created)}, later than this machine's clock "
            f"({_shown(now)}): check both machines' clocks (NTP), then plan again"
        )
    if now >= expires:
        raise StalePlanError(
            f"{path}: the plan expired at {_shown(expires)} (made {_shown(created)}): run `zonesync plan "
            "--out` again and review the new plan"
        )
