"""The fewest API requests Cloudflare allows for a run, the yardstick printed beside every count.

Per run: the zone lookup, min(zones wanted, pages of the account's zone list of 50 a page) — a tool that
knew the account beforehand could do no better; zonesync's first look at a multi-zone account is the
list's first page, so when fewer zones are wanted than there are pages and none is on that page it makes
one more; per zone, ceil(records / max page size) listings (at least one) and the batch writes of an
apply that holds the zone lock (`zonesync.plan.zone_lock`): ceil(changes / records per batch), where a batch
keeps LOCK_OPS of its operations for the lock (`records_per_batch`). The lock record is permanent: the
first batch replaces it and the last leaves it free, and a one-batch apply does both in its one batch, so
the lock costs no request of its own.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

MAX_PER_PAGE = 5_000_000
"""dns_records `per_page` maximum (Cloudflare's OpenAPI schema)."""
ZONES_PER_PAGE = 50
"""zones `per_page` maximum."""
BATCH_LIMITS = {"free": 200, "paid": 3_500}
"""Operations per /dns_records/batch request: Free 200, Pro/Business/Enterprise 3,500."""
LOCK_OPS = 2
"""Operations of each batch the zone lock may take (zonesync.plan.zone_lock.LOCK_OPS)."""


def records_per_batch(batch_size: int | None, plan_limit: int) -> int:
    """Record changes per batch: `--batch-size` when given, else the plan's limit less the lock's share."""
    return batch_size or plan_limit - LOCK_OPS


@dataclass(frozen=True)
class ZoneLoad:
    records: int
    changes: int = 0


def zone_lookups(zones: int, account_zones: int | None = None) -> int:
    pages = math.ceil((account_zones if account_zones is not None else zones) / ZONES_PER_PAGE)
    return min(zones, max(1, pages))


def minimum_requests(
    zones: Sequence[ZoneLoad], batch_limit: int, account_zones: int | None = None, apply: bool = False
) -> int:
    """A plan (apply=False) or an apply run, which reads the zones before writing them; `batch_limit` is
    the record changes per batch (`records_per_batch`)."""
    total = zone_lookups(len(zones), account_zones)
    for z in zones:
        total += max(1, math.ceil(z.records / MAX_PER_PAGE))
        if apply and z.changes:
            total += math.ceil(z.changes / batch_limit)  # the lock rides in these batches
    return total
