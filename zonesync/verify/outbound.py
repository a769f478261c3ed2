"""verify's `--outbound` check, run on the mail host: can this machine open TCP port 25 to other domains' MX
hosts? Many ISPs and cloud providers block outgoing port 25; then every message queues and times out, and the
fix is a smarthost, not anything in DNS."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

from zonesync.verify.connect import NetFailure, open_tcp
from zonesync.verify.result import Finding, NetOptions, Status

TOPIC = "outbound"
SUBJECT = "outbound port 25"
PORT = 25
BLOCKED = (
    "outbound port 25 is blocked from this network (many ISPs block it): mail will queue and time out; "
    "relay through a smarthost"
)


def _attempt(host: str, address: str, opts: NetOptions) -> str | None:
    """None when a TCP connection to port 25 opened, else why not."""
    try:
        open_tcp(host, PORT, opts, address=address).close()
    except NetFailure as failure:
        return failure.message
    return None


def check_outbound(targets: Sequence[tuple[str, str]], opts: NetOptions) -> list[Finding]:
    """One finding: pass when any (MX host, address) of `targets` accepts a TCP connection on port 25. Not
    about a zone, so its zone is empty. Every target is tried at once, so the check takes one timeout at most."""
    if not targets:
        return [
            Finding(
                "",
                TOPIC,
                SUBJECT,
                Status.ERROR,
                "no MX address to probe",
                "pass --probe-domain with a domain that has MX hosts",
            )
        ]
    with ThreadPoolExecutor(max_workers=min(8, len(targets))) as pool:
        results = list(pool.map(lambda t: _attempt(t[0], t[1], opts), targets))
    details = tuple(
        f"{host} ({address}): {'connected' if why is None else why}"
        for (host, address), why in zip(targets, results, strict=True)
    )
    reached = [target for target, why in zip(targets, results, strict=True) if why is None]
    if reached:
        host, address = reached[0]
        return [
            Finding(
                "",
                TOPIC,
                SUBJECT,
                Status.PASS,
                f"this machine can open TCP port 25 to {host} ({address})",
                "",
                details,
            )
        ]
    return [
        Finding(
            "",
            TOPIC,
            SUBJECT,
            Status.FAIL,
            BLOCKED,
            "ask the ISP or provider to open outbound port 25, or configure the mail server to relay through a "
            "smarthost (your provider's, or a mail relay service) on port 587",
            details,
        )
    ]


RELAY_ADVICE = (
    "add `mail.relay:` to the zone file (a provider such as Amazon SES, Mailgun, Postmark, SMTP2GO or Brevo, or "
    "`custom`): zonesync publishes its DNS records and `zonesync relay config ZONE` prints the mail server's "
    "smarthost configuration (docs/relay.md)"
)


def with_relay_advice(findings: Sequence[Finding], relay_zones: Sequence[str]) -> list[Finding]:
    """A blocked port 25 names the way out: `mail.relay:` when no zone has one, else the relay's port check
    that follows."""
    out = []
    for f in findings:
        if f.topic == TOPIC and f.status is Status.FAIL and f.message == BLOCKED:
            fix = (
                f"mail.relay is set for {', '.join(relay_zones)}: configure the mail server with `zonesync relay "
                "config ZONE`; the relay's submission port is checked below"
                if relay_zones
                else RELAY_ADVICE
            )
            f = replace(f, fix=fix)
        out.append(f)
    return out
