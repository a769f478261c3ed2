"""Today's date, in one place: `ZONESYNC_NOW` (an ISO 8601 time such as `2026-12-05T00:00:00Z`) overrides the
system clock, so tests and a person checking "what will plan say next week" get the same answers.

Only the date matters to zonesync (key rotation counts days), and it is the UTC date.
"""

from __future__ import annotations

import datetime
import os

from zonesync.errors import ZonesyncError

NOW_ENV = "ZONESYNC_NOW"


class ClockError(ZonesyncError):
    """`ZONESYNC_NOW` is set to something that is not a time."""


def now() -> datetime.datetime:
    """The current time (UTC): `ZONESYNC_NOW` when set, else the system clock. Raises ClockError."""
    text = os.environ.get(NOW_ENV, "").strip()
    if not text:
        return datetime.datetime.now(datetime.UTC)
    try:
        value = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ClockError(
            f"{NOW_ENV}={text[:40]!r} is not an ISO 8601 time like 2026-12-05T00:00:00Z"
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.UTC)
    return value.astimezone(datetime.UTC)


def today() -> datetime.date:
    """The current UTC date (see `now`)."""
    return now().date()
