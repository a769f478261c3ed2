"""verify's DANE checks (RFC 7672): the TLSA records published for the MX hosts, and the key each MX presents
after STARTTLS against them. The DNSSEC they depend on is `dnssec_check`'s (a zone with TLSA records and no
valid chain fails there: "senders ignore DANE without DNSSEC").

Usages as an SMTP sender applies them (RFC 7672 §3.1): DANE-EE (3) matches the server's own certificate or key,
with no name or expiry check; DANE-TA (2) matches a trust anchor in the chain the server sends (or, `2 0 0`,
the anchor's whole certificate in the record), and the server's certificate must then validate up to that
anchor, for the MX host's name and today's date (§3.2.2, §3.2.3), as `cryptography`'s path validation
checks it; PKIX-TA (0) and PKIX-EE (1) are unusable for SMTP (§3.1.3).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from contextlib import suppress
from datetime import datetime

from zonesync.base import clock
from zonesync.mail.tlsa import (
    DANE_EE,
    DANE_TA,
    MATCH_FULL,
    SELECTOR_CERT,
    Tlsa,
    digest_for,
    matches,
    record_name,
)
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
    zone: str,
    host: str,
    address: str,
    records: Sequence[Tlsa],
    chain: Sequence[bytes],
    why_none: str = "",
    now: datetime | None = None,
) -> Finding:
    """The certificate chain `host` presented at `address` (DER, the leaf first; empty: none was seen,
    `why_none` says why) against its TLSA records, at `now` (default: `base.clock.now()`). Pure but for
    the clock."""
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
    if not chain:
        return finding(
            Status.FAIL,
            f"TLSA records for {host}, but no certificate was seen ({why_none}): DANE senders hold the mail",
            f"offer STARTTLS on {host} with the key its TLSA records pin",
        )
    cert_der = chain[0]
    ee = [r for r in good if r.usage == DANE_EE]
    hit = next((r for r in ee if matches(r, cert_der)), None)
    if hit is not None:
        return finding(
            Status.PASS,
            f"the key {host} presents matches TLSA {hit.text()} (DANE-EE: no name or expiry checks)",
        )
    ta = [r for r in good if r.usage == DANE_TA]
    if ta:
        anchor, why = trust_anchor(host, ta, chain, now or clock.now())
        if anchor is not None:
            return finding(
                Status.PASS,
                f"the certificate {host} presents validates up to the trust anchor of TLSA {anchor.text()} "
                f"(DANE-TA: name {host} and dates checked)",
            )
        ee_part = ""
        if ee:
            ee_part = f"the key {host} presents ({_presented(ee, cert_der)}) matches none of its DANE-EE records, and "
        return finding(
            Status.FAIL,
            f"{ee_part}{why} (TLSA {', '.join(r.text() for r in ta)}): senders using DANE hold the mail for "
            "this MX",
            f"serve {host} a certificate for {host} issued under the anchor its `2` records name, with that "
            "anchor's certificate in the chain, or publish `3 1 1` records (`zonesync dane pin`)",
        )
    published = ", ".join(r.text() for r in ee)
    return finding(
        Status.FAIL,
        f"the key {host} presents ({_presented(ee, cert_der)}) matches none of its TLSA records ({published}): "
        "senders using DANE hold the mail for this MX",
        f"publish the presented key's pin first (`zonesync dane pin {host}`, then apply), or serve the pinned key",
    )


def _presented(records: Sequence[Tlsa], cert_der: bytes) -> str:
    """What the certificate gives for each record's selector and matching type, as TLSA values."""
    found = {f"{r.usage} {r.selector} {r.matching_type} {digest_for(r, cert_der)}" for r in records}
    return "; ".join(sorted(found))


_ENCOUNTERED = re.compile(r" \(encountered processing <Certificate\(.*\)$", re.DOTALL)
"""The validator's note of which certificate it was at: the reason alone is the message."""
MAX_REASON = 160
"""Characters kept of the path validator's reason (it quotes certificate names the server chose)."""


def trust_anchor(
    host: str, records: Sequence[Tlsa], chain: Sequence[bytes], now: datetime
) -> tuple[Tlsa | None, str]:
    """The DANE-TA record (usage 2) whose trust anchor `chain` (DER, the leaf first) validates up to for
    `host` at `now`, and ""; or None and why none does. Anchors: the chain's certificates after the leaf
    that match a record, and the certificate a `2 0 0` record holds whole (RFC 7671 §5.2.2). The path is
    checked by `cryptography`: signatures, dates, the CA's constraints and the leaf's subjectAltName for
    `host` (RFC 7672 §3.2.3); the leaf's other extensions are not held to the web PKI's rules."""
    from cryptography import x509
    from cryptography.x509.verification import (
        Criticality,
        ExtensionPolicy,
        PolicyBuilder,
        Store,
        VerificationError,
    )

    try:
        certs = [x509.load_der_x509_certificate(der) for der in chain]
    except ValueError:
        return None, f"a certificate of the chain {host} presents cannot be read"
    anchors: list[tuple[Tlsa, x509.Certificate]] = []
    for record in records:
        anchors += [
            (record, cert) for der, cert in zip(chain[1:], certs[1:], strict=True) if matches(record, der)
        ]
        if record.selector == SELECTOR_CERT and record.matching_type == MATCH_FULL:
            with suppress(ValueError):
                anchors.append((record, x509.load_der_x509_certificate(record.data)))
    if not anchors:
        return (
            None,
            f"no certificate of the chain {host} presents is the trust anchor its DANE-TA records name",
        )
    try:
        name = x509.DNSName(host)
    except ValueError:
        return None, f"{host} is not a host name a certificate can be checked for"
    leaf_policy = ExtensionPolicy.permit_all().require_present(
        x509.SubjectAlternativeName, Criticality.AGNOSTIC, None
    )
    reasons = []
    for record, anchor in anchors:
        verifier = (
            PolicyBuilder()
            .store(Store([anchor]))
            .time(now)
            .extension_policies(ca_policy=ExtensionPolicy.webpki_defaults_ca(), ee_policy=leaf_policy)
            .build_server_verifier(name)
        )
        try:
            verifier.verify(certs[0], certs[1:])
        except VerificationError as exc:
            reason = _ENCOUNTERED.sub("", str(exc).removeprefix("validation failed: "))
            reasons.append(reason[:MAX_REASON])
            continue
        return record, ""
    return (
        None,
        f"the certificate {host} presents does not validate up to its DANE-TA trust anchor: {reasons[0]}",
    )
