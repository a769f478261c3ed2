"""What every verify check returns: findings, each with a status, the reason and the fix.

Checks are functions that return findings; they never print and never raise for a failed check (a check that
could not run at all returns an ERROR finding). Rendering and exit codes live elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path


class Status(StrEnum):
    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    ERROR = "error"
    """The check could not run (timeout, SERVFAIL, refused connection to a nameserver): not a verdict."""


@dataclass(frozen=True)
class Finding:
    zone: str
    topic: str
    """One of: dns, dnssec, spf, dkim, dmarc, mta-sts, tls-rpt, mx, relay, smtp, dane, outbound."""
    subject: str
    """What was checked: an owner name, a selector, an MX host, an address, a URL."""
    status: Status
    message: str
    """One line: what was seen."""
    fix: str = ""
    """One line: how to fix it (empty on pass)."""
    details: tuple[str, ...] = ()
    """Extra lines shown with -v (the SPF evaluation tree, the policy as fetched)."""


@dataclass(frozen=True)
class ConnectTo:
    """curl's `--connect-to HOST:PORT:CONNECT_HOST:CONNECT_PORT`: reach HOST:PORT at another address, keeping
    HOST for TLS name checks (SNI and certificate verification)."""

    host: str
    port: int
    connect_host: str
    connect_port: int


@dataclass(frozen=True)
class NetOptions:
    """Network settings shared by every check that leaves the machine."""

    timeout: float = 5.0
    """Per query / per connection step, in seconds; no check waits longer than this for one answer."""
    nameservers: tuple[tuple[str, int], ...] = ()
    """`--nameserver HOST[:PORT]`; empty: the zone's authoritative servers found by an NS lookup."""
    connect_to: tuple[ConnectTo, ...] = ()
    ca_file: Path | None = None
    """Extra trusted CA certificates (PEM) for HTTPS and SMTP STARTTLS, besides the system store."""
    extra: dict[str, str] = field(default_factory=dict)
    trust_anchors: tuple[str, ...] = ()
    """`--trust-anchor DS-or-DNSKEY`: where the DNSSEC chain starts when the parent has no DS (a test zone)."""


@dataclass(frozen=True)
class WaitOutcome:
    """What `verify --wait` did before its report: how long it polled, how often, and what was still not
    served from every authoritative nameserver when it stopped (empty: everything was)."""

    limit: float
    """The --wait duration, in seconds."""
    waited: float
    """Seconds spent until everything was served, or until the limit."""
    rounds: int
    """How many times the not-yet-served checks were asked (the first, full run included)."""
    missing: tuple[str, ...] = ()
    """`zone: what` for each record set, DKIM selector or MTA-STS policy still not served."""

    @property
    def served(self) -> bool:
        return not self.missing
