"""The reports as values: frozen dataclasses made by `dmarc` and `tlsrpt`, read by `analysis`.

Text fields hold what the reporter sent, unescaped: renderers escape control characters on output.
"""

from __future__ import annotations

from dataclasses import dataclass


class ReportRefused(Exception):
    """An input refused as a whole (too large, a nested archive, malformed XML or JSON, a DTD): one line,
    without the file name (the caller knows where it came from)."""


@dataclass(frozen=True)
class DkimAuth:
    """One DKIM signature as the receiver checked it (auth_results/dkim)."""

    domain: str
    selector: str
    result: str  # none | pass | fail | policy | neutral | temperror | permerror


@dataclass(frozen=True)
class SpfAuth:
    """The SPF check as the receiver ran it (auth_results/spf)."""

    domain: str
    scope: str  # mfrom | helo | "" (RFC 9990 drops the scope)
    result: str  # none | neutral | pass | fail | softfail | temperror | permerror


@dataclass(frozen=True)
class DmarcRow:
    """One record: `count` messages from one source with the same results."""

    source_ip: str
    count: int
    disposition: str
    dkim_aligned: str  # policy_evaluated/dkim: pass | fail (DKIM passed *and* aligned)
    spf_aligned: str  # policy_evaluated/spf: pass | fail (SPF passed *and* aligned)
    reasons: tuple[str, ...]  # policy_evaluated/reason/type: forwarded, mailing_list, local_policy...
    header_from: str
    envelope_from: str
    envelope_to: str
    dkim: tuple[DkimAuth, ...]
    spf: tuple[SpfAuth, ...]

    @property
    def dmarc_pass(self) -> bool:
        """RFC 7489 §3: DMARC passes when SPF or DKIM passed with alignment."""
        return self.dkim_aligned == "pass" or self.spf_aligned == "pass"


@dataclass(frozen=True)
class DmarcReport:
    """One aggregate report: a reporter's view of one domain over a date range (epoch seconds, UTC)."""

    schema: str  # "rfc9990" (namespaced) | "rfc7489" (Appendix C, no namespace)
    org_name: str
    email: str
    report_id: str
    begin: int
    end: int
    domain: str  # policy_published/domain, lower case
    policy: str
    adkim: str  # r | s
    aspf: str  # r | s
    rows: tuple[DmarcRow, ...]
    origin: str = ""  # where it was read: a path, `path: attachment name`

    @property
    def key(self) -> tuple[str, str, str]:
        """What identifies a report across copies: the reporter and its report id."""
        return ("dmarc", self.org_name.strip().lower(), self.report_id.strip())


@dataclass(frozen=True)
class TlsFailure:
    """One failure-details entry of RFC 8460 §4.3."""

    result_type: str
    sending_mta_ip: str
    receiving_mx_hostname: str
    receiving_ip: str
    count: int
    reason_code: str
    additional_information: str


@dataclass(frozen=True)
class TlsPolicy:
    """One policy's sessions: the policy type (sts, tlsa, no-policy-found), successes and failures."""

    policy_type: str
    domain: str  # policy-domain, lower case
    mx_hosts: tuple[str, ...]
    successes: int
    failures: int
    details: tuple[TlsFailure, ...]


@dataclass(frozen=True)
class TlsReport:
    """One SMTP TLS report (RFC 8460 §4)."""

    org_name: str
    contact: str
    report_id: str
    begin: int
    end: int
    policies: tuple[TlsPolicy, ...]
    origin: str = ""

    @property
    def key(self) -> tuple[str, str, str]:
        return ("tlsrpt", self.org_name.strip().lower(), self.report_id.strip())

    @property
    def domains(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(p.domain for p in self.policies))


Report = DmarcReport | TlsReport


@dataclass(frozen=True)
class Refusal:
    """An input that was not read, and why (one line)."""

    origin: str
    reason: str
