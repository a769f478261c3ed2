"""The emulator's records of a zone as a test compares them: without zonesync's zone lock record.

Every apply leaves that record (`zonesync.plan.zone_lock`: a CNAME at `_zonesync-lock.<zone>`, free between
applies); zonesync never shows it, and the emulator, which knows nothing of zonesync, lists it like any
other record. Tests about the records a zone file put there use `records`; tests about the lock itself
use `lock_records`."""

from __future__ import annotations

from typing import Any

from zonesync.emulator.server import Emulator
from zonesync.plan.zone_lock import is_lock_name


def user_records(emu: Emulator, zone: str, account_id: str | None = None) -> list[dict[str, Any]]:
    """`emu.records(zone)` without the zone lock record."""
    return [r for r in emu.records(zone, account_id) if not is_lock_name(r["name"], zone)]


def lock_records(emu: Emulator, zone: str, account_id: str | None = None) -> list[dict[str, Any]]:
    """The records at the zone lock's name (one CNAME at most)."""
    return [r for r in emu.records(zone, account_id) if is_lock_name(r["name"], zone)]
