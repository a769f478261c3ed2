"""verify's DANE checks (RFC 7672): the TLSA records published for the MX hosts, and the key each MX presents
after STARTTLS against them. The DNSSEC they depend on is `dnssec_check`'s (a zone with TLSA records and no
valid chain fails there: "senders ignore DANE without DNSSEC").

Usages as an SMTP sender applies them (RFC 7672 §3.1): DANE-EE (3) matches the server's own certificate or key,
with no name or expiry check; DANE-TA (2) needs the chain the server sends, which Python's ssl does not expose
before 3.13, so verify says it did not check it; PKIX-TA (0) and PKIX-EE (1) are unusable for SMTP (§3.1.3).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from zonesync.mail.tlsa import DANE_EE, DANE_TA, Tlsa, digest_for, matches, record_name
from zonesync.verify.context import ZoneContext
from zonesync.verify.result import Finding, Status

TOPIC = "dane"


async def published_tlsa(ctx: ZoneContext, hosts: Sequence[str]) -> dict[str, tuple[Tlsa, ...]]:
    """The TLSA records at `_25._tcp.<host>` for each MX host that has any (unreadable values left out)."""
    answers = await asyncio.gather(*(ctx.lookup(record_name(h), "TLSA") for h in hosts))
    out: dict[str, tuple[Tlsa, ...]] = {}
    for host, answer in zip(hosts, answers, strict=True):
        found = []
        for text in answer.values if answer.ok else ():
            try:
                found.append(Tlsa.from_text(text))
            except ValueError:
                continue
        if found:
            out[host.lower().rstrip(".")] = tuple(found)
    return out


def usable(records: Sequence[Tlsa]) -> tuple[Tlsa, ...]:
    """The records an SMTP sender uses: DANE-EE and DANE-TA (RFC 7672 §3.1.3)."""
    return tuple(r for r in records if r.usage in (DANE_EE, DANE_TA))


def judge(
    zone: str, host: str, address: str, records: Sequence[Tlsa], cert_der: bytes | None, why_none: str = ""
) -> Finding:
    """The certificate `host` presented at `address` (None: none was seen, `why_none` says why) against its
    TLSA records. Pure."""
    subject = f"{host} ({address})"

    def finding(status: Status, message: str, fix: str = "") -> Finding:
        return Finding(zone, TOPIC, subject, status, message, fix)

    good = usable(records)
    if not good:
        shown = ", ".join(r.text() for r in records)
        return finding(
            Status.FAIL,
            f"no usable TLSA record for {host} ({shown}): PKIX-TA/PKIX-EE (0, 1) are unusable for SMTP "
            "(RFC 7672 §3.1.3), so DANE senders cannot authenticate it",
            f"publish `3 1 1` records (`zonesync dane pin {host}`)",
        )
    if cert_der is None:
        return finding(
            Status.FAIL,
            f"TLSA records for {host}, but no certificate was seen ({why_none}): DANE senders hold the mail",
            f"offer STARTTLS on {host} with the key its TLSA records pin",
        )
    ee = [r for r in good if r.usage == DANE_EE]
    hit = next((r for r in ee if matches(r, cert_der)), None)
    if hit is not None:
        return finding(
            Status.PASS,
            f"the key {host} presents matches TLSA {hit.text()} (DANE-EE: no name or expiry checks)",
        )
    if len(ee) < len(good):
        return finding(
            Status.WARN,
            f"no DANE-EE record of {host} matches; its DANE-TA records were not checked (verify does not read "
            "the certificate chain)",
        )
    presented = sorted({f"{r.usage} {r.selector} {r.matching_type} {digest_for(r, cert_der)}" for r in ee})
    published = ", ".join(r.text() for r in ee)
    return finding(
        Status.FAIL,
        f"the key {host} presents ({'; '.join(presented)}) matches none of its TLSA records ({published}): "
        "senders using DANE hold the mail for this MX",
        f"publish the presented key's pin first (`zonesync dane pin {host}`, then apply), or serve the pinned key",
    )
