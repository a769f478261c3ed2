"""Why a message failed, in plain words, and the fix in the zone file where there is one: DMARC rows
(RFC 7489 §3.1 alignment, §4.2 pass = SPF or DKIM aligned) and TLS-RPT result types (RFC 8460 §4.3).
Pure: the row, the reporter's count and the zone's facts in, a `Cause` out.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from publicsuffixlist import PublicSuffixList

from zonesync.reports.model import DkimAuth, DmarcRow, TlsFailure
from zonesync.reports.zonefacts import ZoneFacts

FORWARDING_REASONS = ("forwarded", "mailing_list", "trusted_forwarder")
"""policy_evaluated/reason types a receiver gives for a message it knows was forwarded."""


@dataclass(frozen=True)
class Cause:
    """What went wrong: a stable code, `fail` (DMARC failed / TLS sessions failed) or `warn` (DMARC
    passed but SPF or DKIM did not, which breaks once either changes), one line of plain words, and the
    fix (empty when nothing in the zone can fix it)."""

    code: str
    severity: str
    text: str
    fix: str


@cache
def _psl() -> PublicSuffixList:
    return PublicSuffixList()


def organizational_domain(name: str) -> str:
    """RFC 7489 §3.2: the registered domain (one label under the public suffix), from the bundled list."""
    name = name.lower().rstrip(".")
    return _psl().privatesuffix(name) or name


def aligned(domain: str, header_from: str, mode: str) -> bool:
    """RFC 7489 §3.1: strict (`s`) wants the same name; relaxed the same organizational domain."""
    a, b = domain.lower().rstrip("."), header_from.lower().rstrip(".")
    if mode == "s":
        return a == b
    return organizational_domain(a) == organizational_domain(b)


def _selectors(facts: ZoneFacts) -> str:
    return ", ".join(facts.selectors) if facts.selectors else "none yet"


def _dkim_cause(row: DmarcRow, domain: str, adkim: str, facts: ZoneFacts, severity: str) -> Cause:
    ours: list[DkimAuth] = [d for d in row.dkim if d.domain and aligned(d.domain, domain, adkim)]
    others = [d for d in row.dkim if d.domain and not aligned(d.domain, domain, adkim) and d.result == "pass"]
    failing = [d for d in ours if d.result != "pass"]
    unknown = [d for d in failing if d.selector and facts.has_mail and d.selector not in facts.selectors]
    if unknown:
        s = unknown[0].selector
        return Cause(
            "selector-not-published",
            severity,
            f"signed with DKIM selector '{s}', which the zone does not publish (it publishes: {_selectors(facts)})",
            f"add `- selector: {s}` under mail.dkim (with the key the server signs with), or make the "
            f"server sign with a published selector",
        )
    if any(d.result == "temperror" for d in failing):
        return Cause(
            "dkim-temperror",
            severity,
            "the receiver could not fetch the DKIM key (temporary DNS error)",
            "",
        )
    if failing:
        s = failing[0].selector or "?"
        return Cause(
            "key-mismatch",
            severity,
            f"the DKIM signature (selector '{s}') did not verify with the published key: the server signs "
            f"with another key than the zone publishes, or the message was changed on the way",
            f"publish the key the server signs with: mail.dkim selector '{s}' and its key file, then "
            f"`zonesync plan`/`apply`; `zonesync verify` compares the key in DNS with the key file",
        )
    if others:
        return Cause(
            "third-party-signature",
            severity,
            f"signed only by {others[0].domain}, which is not aligned with {domain}: a service sends as "
            f"{domain} under its own name",
            "if the service is yours: publish its DKIM key under your domain (its selector under mail.dkim) "
            "and its servers in mail.spf.allow (include:)",
        )
    return Cause(
        "no-signature",
        severity,
        f"not DKIM-signed for {domain}",
        f"make the server sign with a selector under mail.dkim ({_selectors(facts)})",
    )


def _spf_for(row: DmarcRow, domain: str, aspf: str) -> list[str]:
    return [s.result for s in row.spf if s.domain and s.scope != "helo" and aligned(s.domain, domain, aspf)]


def dmarc_cause(
    row: DmarcRow, domain: str, adkim: str, aspf: str, facts: ZoneFacts, reporters: int = 1
) -> Cause | None:
    """Why this row did not fully pass, or None when SPF and DKIM both passed aligned. `reporters` is
    how many reporting organisations saw this source (a relay is seen by all; a forwarder by one)."""
    if row.dkim_aligned == "pass" and row.spf_aligned == "pass":
        return None
    domain = row.header_from or domain
    own = facts.is_own(row.source_ip)
    forwarded = any(r in FORWARDING_REASONS for r in row.reasons)
    spf_results = _spf_for(row, domain, aspf)
    if row.dmarc_pass:
        if row.spf_aligned == "pass":  # DKIM did not pass aligned
            return _dkim_cause(row, domain, adkim, facts, "warn")
        if own:
            return Cause(
                "own-host-not-in-spf",
                "warn",
                f"{row.source_ip} is one of the zone's mail hosts, but SPF does not allow it (DKIM passed)",
                f"add it to mail.spf.allow (`mx`, or `ip4:`/`ip6:{row.source_ip}`)",
            )
        if reporters >= 2 and not forwarded:
            return Cause(
                "relay-not-in-spf",
                "warn",
                f"{row.source_ip} sends the domain's mail to {reporters} receivers, DKIM-signed, but SPF "
                "does not list it: a relay (smarthost) missing from SPF",
                f"declare the relay under mail.relay, or add `ip4:`/`ip6:{row.source_ip}` to mail.spf.allow",
            )
        return Cause(
            "forwarded",
            "warn",
            "forwarded: the forwarder's address is not in SPF, and the DKIM signature survived and kept "
            "DMARC passing",
            "",
        )
    if forwarded:
        return Cause(
            "forwarded",
            "fail",
            f"forwarded ({', '.join(row.reasons)}): a forwarder or mailing list changed the message (DKIM "
            "broke) and sent it from its own address (SPF)",
            "",
        )
    if any(r in ("permerror", "temperror") for r in spf_results):
        error = next(r for r in spf_results if r in ("permerror", "temperror"))
        return Cause(
            "spf-error",
            "fail",
            f"the domain's SPF could not be evaluated ({error}: a syntax error, or more than 10 DNS lookups)",
            "fix mail.spf; `zonesync verify` shows the SPF evaluation and its lookup count",
        )
    dkim = _dkim_cause(row, domain, adkim, facts, "fail")
    if own:
        if row.spf_aligned != "pass" and spf_results and "pass" not in spf_results:
            return Cause(
                dkim.code,
                "fail",
                f"{row.source_ip} is one of the zone's mail hosts: {dkim.text}; and SPF does not allow it",
                f"{dkim.fix}; add the host to mail.spf.allow",
            )
        return Cause(
            dkim.code, "fail", f"{row.source_ip} is one of the zone's mail hosts: {dkim.text}", dkim.fix
        )
    if dkim.code != "no-signature":
        return dkim
    unprotected = (
        " (the DMARC policy is none: these messages were delivered)" if facts.dmarc_policy == "none" else ""
    )
    return Cause(
        "unknown-sender",
        "fail",
        f"an unknown sender: {row.source_ip} is not in SPF and its messages carry no signature of {domain} "
        f"— spoofing, or a service of yours not set up yet{unprotected}",
        "if it is yours: add it to mail.spf.allow (or mail.relay) and have it sign with a selector under "
        "mail.dkim; if not, nothing to fix",
    )


_TLS: dict[str, tuple[str, str]] = {
    "starttls-not-supported": (
        "the MX did not offer STARTTLS",
        "enable STARTTLS on the mail server (not a zone-file fix); `zonesync verify --smtp` checks it",
    ),
    "certificate-host-mismatch": (
        "the MX's certificate does not name the MX host",
        "get a certificate for the MX host names under mail.mx; `zonesync verify --smtp` shows the names",
    ),
    "certificate-expired": ("the MX's certificate has expired", "renew the mail server's certificate"),
    "certificate-not-trusted": (
        "the MX's certificate is not signed by a trusted CA (self-signed, or the chain is incomplete)",
        "serve a certificate from a public CA with its full chain",
    ),
    "validation-failure": (
        "the MX's certificate or the MX host failed the policy's validation",
        "check that every host under mail.mx matches mail.mta_sts.mx and has a valid certificate",
    ),
    "sts-policy-fetch-error": (
        "the sender could not fetch the MTA-STS policy (https://mta-sts.<domain>/.well-known/mta-sts.txt)",
        "publish the policy: mail.mta_sts (`host: worker` deploys it); `zonesync verify` fetches it",
    ),
    "sts-policy-invalid": (
        "the MTA-STS policy is not valid",
        "fix mail.mta_sts (mode, mx, max_age); `zonesync verify` fetches and checks the policy",
    ),
    "sts-webpki-invalid": (
        "the MTA-STS policy host's HTTPS certificate is not valid",
        "serve mta-sts.<domain> with a valid certificate (`host: worker` uses Cloudflare's)",
    ),
    "tlsa-invalid": ("the TLSA records (DANE) do not match the MX's certificate", "update the TLSA records"),
    "dnssec-invalid": ("the domain's DNSSEC did not validate (DANE)", "fix the DNSSEC signing of the zone"),
    "dane-required": ("DANE was required but the MX has no usable TLSA records", "publish TLSA records"),
}


def tls_cause(failure: TlsFailure) -> Cause:
    """RFC 8460 §4.3's result types in plain words, with the fix."""
    text, fix = _TLS.get(
        failure.result_type,
        (f"TLS failed ({failure.result_type or 'no result type'})", ""),
    )
    if failure.reason_code:
        text = f"{text} ({failure.reason_code})"
    return Cause(failure.result_type or "unknown", "fail", text, fix)
