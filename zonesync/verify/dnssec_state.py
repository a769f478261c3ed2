"""The one thing DANE needs from DNSSEC: whether the zone's answers are known to validate.

Senders ignore TLSA records that DNSSEC does not protect (RFC 7672 §2.2), so verify's DANE check fails a zone
with TLSA records unless this says the chain validates. The DNSSEC check (issue 26, item 3) provides the
verdict by replacing the body of `zone_dnssec`; until it exists, a zone's DNSSEC is "not known to be valid".
"""

from __future__ import annotations

from dataclasses import dataclass

from zonesync.verify.context import ZoneContext


@dataclass(frozen=True)
class DnssecState:
    validated: bool
    """True only when the zone's answers were validated (a chain from the parent's DS or a trust anchor)."""
    message: str
    """One line: what validated it, or why it is not known to be valid."""


NOT_CHECKED = DnssecState(False, "verify does not validate DNSSEC yet")


async def zone_dnssec(ctx: ZoneContext) -> DnssecState:
    """Whether `ctx.zone`'s answers are DNSSEC-validated. Never raises: a check that could not run is a
    DnssecState(False, <why>). Placeholder until the DNSSEC check exists: NOT_CHECKED."""
    return NOT_CHECKED
