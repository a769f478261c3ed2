"""The summary a self-hoster reads: per managed domain over a date range, who sent mail as the domain,
how much passed SPF, DKIM and DMARC with alignment, what failed and why, and which TLS sessions to the MX
failed. Pure: the reports and the zones' facts in, a `Summary` out (renderers print it).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from zonesync.reports.causes import Cause, dmarc_cause, tls_cause
from zonesync.reports.model import DmarcReport, Refusal, Report, TlsReport
from zonesync.reports.zonefacts import ZoneFacts


@dataclass(frozen=True)
class Window:
    """The date range asked for, epoch seconds UTC (`until` excluded); a report counts when its own range
    overlaps it. None: open on that side."""

    since: int | None = None
    until: int | None = None

    def overlaps(self, begin: int, end: int) -> bool:
        return (self.since is None or end >= self.since) and (self.until is None or begin < self.until)


@dataclass(frozen=True)
class Counts:
    """Messages, and how many passed or failed DMARC, SPF aligned and DKIM aligned (policy_evaluated)."""

    messages: int = 0
    dmarc_pass: int = 0
    dmarc_fail: int = 0
    spf_pass: int = 0
    spf_fail: int = 0
    dkim_pass: int = 0
    dkim_fail: int = 0


@dataclass(frozen=True)
class Source:
    """One sending address: its reverse name (when looked up), who reported it, its messages."""

    ip: str
    reverse: str
    reporters: tuple[str, ...]
    messages: int
    dmarc_pass: int
    dmarc_fail: int


@dataclass(frozen=True)
class Failure:
    """Messages from one source that did not fully pass, grouped by cause."""

    ip: str
    reverse: str
    reporters: tuple[str, ...]
    messages: int
    header_from: str
    envelope_from: str
    dkim: tuple[str, ...]  # "domain/selector=result" as reported
    spf: tuple[str, ...]  # "domain=result"
    cause: Cause


@dataclass(frozen=True)
class TlsIssue:
    """Failed TLS sessions of one kind to one MX."""

    result_type: str
    mx_host: str
    receiving_ip: str
    sending_ips: tuple[str, ...]
    reporters: tuple[str, ...]
    sessions: int
    cause: Cause


@dataclass(frozen=True)
class DomainSummary:
    domain: str
    zone: str
    begin: int
    end: int
    dmarc_reports: int
    tls_reports: int
    reporters: tuple[str, ...]
    counts: Counts
    sources: tuple[Source, ...]
    failures: tuple[Failure, ...]
    tls_successes: int
    tls_failures: int
    tls_issues: tuple[TlsIssue, ...]

    @property
    def dmarc_fail_share(self) -> float:
        return self.counts.dmarc_fail / self.counts.messages if self.counts.messages else 0.0

    @property
    def tls_fail_share(self) -> float:
        total = self.tls_successes + self.tls_failures
        return self.tls_failures / total if total else 0.0

    def over(self, threshold_percent: float) -> bool:
        """Whether DMARC failures or failed TLS sessions exceed `threshold_percent` of their totals (with
        0, any failure does)."""
        limit = threshold_percent / 100
        return any(
            failed and share > limit
            for failed, share in (
                (self.counts.dmarc_fail, self.dmarc_fail_share),
                (self.tls_failures, self.tls_fail_share),
            )
        )


@dataclass(frozen=True)
class Summary:
    domains: tuple[DomainSummary, ...]
    window: Window
    reports: int
    """Reports read (after deduplication), for any domain and date."""
    duplicates: int
    outside_window: int
    skipped: tuple[tuple[str, int], ...]
    """Domains the repository does not manage, with their number of reports, most first."""
    refused: tuple[Refusal, ...] = ()
    ignored: int = 0
    files: int = 0
    threshold: float = 5.0

    @property
    def over_threshold(self) -> tuple[DomainSummary, ...]:
        return tuple(d for d in self.domains if d.over(self.threshold))

    def addresses(self) -> list[str]:
        """Every source address, most messages first (the order reverse lookups are made in)."""
        seen: dict[str, int] = defaultdict(int)
        for d in self.domains:
            for s in d.sources:
                seen[s.ip] += s.messages
        return sorted(seen, key=lambda ip: (-seen[ip], ip))


def managed_zone(domain: str, zones: Iterable[str]) -> str | None:
    """The managed zone a reported domain belongs to (itself, or a parent), the longest match."""
    matches = [z for z in zones if domain == z or domain.endswith("." + z)]
    return max(matches, key=len) if matches else None


@dataclass
class _Acc:
    zone: str
    begin: int = 0
    end: int = 0
    dmarc: list[DmarcReport] = field(default_factory=list)
    tls: list[tuple[TlsReport, int]] = field(default_factory=list)  # (report, policy index)

    def span(self, begin: int, end: int) -> None:
        self.begin = min(self.begin, begin) if self.begin else begin
        self.end = max(self.end, end)


def _dmarc_part(acc: _Acc, domain: str, facts: ZoneFacts, reverse: Mapping[str, str]) -> tuple:
    counts: dict[str, int] = defaultdict(int)
    per_ip: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    reporters_of: dict[str, set[str]] = defaultdict(set)
    for report in acc.dmarc:
        for row in report.rows:
            reporters_of[row.source_ip].add(report.org_name)
    groups: dict[tuple, list] = {}
    for report in acc.dmarc:
        for row in report.rows:
            n = row.count
            counts["messages"] += n
            counts["dmarc_pass" if row.dmarc_pass else "dmarc_fail"] += n
            counts["spf_pass" if row.spf_aligned == "pass" else "spf_fail"] += n
            counts["dkim_pass" if row.dkim_aligned == "pass" else "dkim_fail"] += n
            stats = per_ip[row.source_ip]
            stats[0] += n
            stats[1 if row.dmarc_pass else 2] += n
            cause = dmarc_cause(
                row, domain, report.adkim, report.aspf, facts, len(reporters_of[row.source_ip])
            )
            if cause is None:
                continue
            key = (row.source_ip, cause)
            entry = groups.setdefault(key, [0, set(), set(), set(), row.header_from, row.envelope_from])
            entry[4] = entry[4] or row.header_from
            entry[5] = entry[5] or row.envelope_from
            entry[0] += n
            entry[1].add(report.org_name)
            entry[2].update(f"{d.domain}/{d.selector}={d.result}" for d in row.dkim)
            entry[3].update(f"{s.domain}={s.result}" for s in row.spf)
    sources = tuple(
        sorted(
            (Source(ip, reverse.get(ip, ""), tuple(sorted(reporters_of[ip])), *per_ip[ip]) for ip in per_ip),
            key=lambda s: (-s.messages, s.ip),
        )
    )
    failures = tuple(
        sorted(
            (
                Failure(
                    ip=ip,
                    reverse=reverse.get(ip, ""),
                    reporters=tuple(sorted(orgs)),
                    messages=n,
                    header_from=header_from,
                    envelope_from=envelope_from,
                    dkim=tuple(sorted(dkim)),
                    spf=tuple(sorted(spf)),
                    cause=cause,
                )
                for (ip, cause), (n, orgs, dkim, spf, header_from, envelope_from) in groups.items()
            ),
            key=lambda f: (f.cause.severity != "fail", -f.messages, f.ip),
        )
    )
    return Counts(**counts), sources, failures


def _tls_part(acc: _Acc) -> tuple[int, int, tuple[TlsIssue, ...]]:
    ok = failed = 0
    groups: dict[tuple[str, str, str, str], list] = {}
    for report, index in acc.tls:
        policy = report.policies[index]
        ok += policy.successes
        failed += policy.failures
        for d in policy.details:
            mx = d.receiving_mx_hostname or ", ".join(policy.mx_hosts)
            key = (d.result_type, mx, d.receiving_ip, d.reason_code)
            entry = groups.setdefault(key, [0, set(), set(), d])
            entry[0] += d.count
            entry[1].add(report.org_name)
            if d.sending_mta_ip:
                entry[2].add(d.sending_mta_ip)
    issues = tuple(
        sorted(
            (
                TlsIssue(result_type, mx, rip, tuple(sorted(ips)), tuple(sorted(orgs)), n, tls_cause(detail))
                for (result_type, mx, rip, _code), (n, orgs, ips, detail) in groups.items()
            ),
            key=lambda i: (-i.sessions, i.result_type, i.mx_host),
        )
    )
    return ok, failed, issues


def summarize(
    reports: Sequence[Report],
    facts: Mapping[str, ZoneFacts],
    window: Window = Window(),
    *,
    duplicates: int = 0,
    refused: Sequence[Refusal] = (),
    ignored: int = 0,
    files: int = 0,
    threshold: float = 5.0,
    reverse: Mapping[str, str] | None = None,
) -> Summary:
    """The summary of `reports` for the zones in `facts` (zone name -> facts) within `window`. Reports
    for other domains are skipped and counted per domain; reports outside the window are counted."""
    reverse = reverse or {}
    accs: dict[str, _Acc] = {}
    skipped: dict[str, int] = defaultdict(int)
    outside = 0
    for report in reports:
        if not window.overlaps(report.begin, report.end):
            outside += 1
            continue
        if isinstance(report, DmarcReport):
            zone = managed_zone(report.domain, facts)
            if zone is None:
                skipped[report.domain] += 1
                continue
            acc = accs.setdefault(report.domain, _Acc(zone))
            acc.dmarc.append(report)
            acc.span(report.begin, report.end)
        else:
            for i, policy in enumerate(report.policies):
                zone = managed_zone(policy.domain, facts)
                if zone is None:
                    skipped[policy.domain] += 1
                    continue
                acc = accs.setdefault(policy.domain, _Acc(zone))
                acc.tls.append((report, i))
                acc.span(report.begin, report.end)
    domains = []
    for domain in sorted(accs):
        acc = accs[domain]
        counts, sources, failures = _dmarc_part(acc, domain, facts[acc.zone], reverse)
        ok, failed, issues = _tls_part(acc)
        reporters = {r.org_name for r in acc.dmarc} | {r.org_name for r, _ in acc.tls}
        domains.append(
            DomainSummary(
                domain=domain,
                zone=acc.zone,
                begin=acc.begin,
                end=acc.end,
                dmarc_reports=len(acc.dmarc),
                tls_reports=len({r.key for r, _ in acc.tls}),
                reporters=tuple(sorted(reporters)),
                counts=counts,
                sources=sources,
                failures=failures,
                tls_successes=ok,
                tls_failures=failed,
                tls_issues=issues,
            )
        )
    return Summary(
        domains=tuple(domains),
        window=window,
        reports=len(reports),
        duplicates=duplicates,
        outside_window=outside,
        skipped=tuple(sorted(skipped.items(), key=lambda kv: (-kv[1], kv[0]))),
        refused=tuple(refused),
        ignored=ignored,
        files=files,
        threshold=threshold,
    )
