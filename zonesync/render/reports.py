"""The reports summary as text, JSON (schema zonesync/schemas/reports.schema.json) and Markdown. Every
field from a report is outside text: control characters are escaped (`clean`) in text and Markdown, and
JSON is written ASCII-only. Pure: the summary is data; rendering decides nothing.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from zonesync import __version__
from zonesync.reports.analysis import DomainSummary, Failure, Summary, TlsIssue

FORMAT = "zonesync-reports"
VERSION = 1

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def clean(text: str) -> str:
    """Control characters (C0, DEL, C1, bidirectional overrides) as `\\xNN` / `\\uNNNN` escapes: text a
    reporter wrote can neither move the cursor nor recolour the terminal."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def _md(text: str) -> str:
    return clean(text).replace("|", "\\|").replace("`", "'")


def day(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d")


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "0%"


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _who(ip: str, reverse: str) -> str:
    return f"{ip} ({clean(reverse)})" if reverse else ip


def _reporters(names: tuple[str, ...]) -> str:
    return ", ".join(clean(n) for n in names) or "?"


def _footer(summary: Summary) -> list[str]:
    lines = []
    read = f"Read {_plural(summary.reports, 'report')}"
    extras = []
    if summary.duplicates:
        extras.append(f"{_plural(summary.duplicates, 'duplicate')} dropped")
    if summary.outside_window:
        extras.append(f"{summary.outside_window:,} outside the date range")
    if summary.ignored:
        extras.append(f"{_plural(summary.ignored, 'file')} without a report ignored")
    if summary.refused:
        extras.append(f"{len(summary.refused):,} refused")
    lines.append(read + (f" ({'; '.join(extras)})" if extras else "") + ".")
    if summary.skipped:
        n = sum(c for _, c in summary.skipped)
        detail = ", ".join(f"{clean(d)}: {c:,}" for d, c in summary.skipped[:5])
        more = f", and {len(summary.skipped) - 5:,} more" if len(summary.skipped) > 5 else ""
        lines.append(f"Skipped {_plural(n, 'report')} for domains not managed here ({detail}{more}).")
    over = summary.over_threshold
    if over:
        names = ", ".join(d.domain for d in over)
        lines.append(f"Failures above the {summary.threshold:g}% threshold: {names}.")
    elif summary.domains:
        lines.append(f"No domain has failures above the {summary.threshold:g}% threshold.")
    else:
        lines.append("No report for a domain managed here.")
    return lines


def _failure_line(f: Failure) -> str:
    return (
        f"{_who(f.ip, f.reverse)}: {_plural(f.messages, 'message')} "
        f"(reported by {_reporters(f.reporters)}): {clean(f.cause.text)}"
    )


def _tls_line(i: TlsIssue) -> str:
    where = clean(i.mx_host) or "the MX"
    if i.receiving_ip:
        where += f" [{clean(i.receiving_ip)}]"
    return f"{clean(i.result_type)} at {where}: {_plural(i.sessions, 'session')} (reported by {_reporters(i.reporters)}): {clean(i.cause.text)}"


def _domain_text(d: DomainSummary) -> list[str]:
    c = d.counts
    head = f"{d.domain}  {day(d.begin)} .. {day(d.end)}  ({_plural(d.dmarc_reports, 'DMARC report')}, {_plural(d.tls_reports, 'TLS report')}; from {_reporters(d.reporters)})"
    lines = [clean(head)]
    if d.dmarc_reports:
        lines.append(
            f"  DMARC  {_plural(c.messages, 'message')}: {c.dmarc_pass:,} passed, {c.dmarc_fail:,} failed "
            f"({_pct(c.dmarc_fail, c.messages)})"
        )
        lines.append(
            f"         aligned SPF: {c.spf_pass:,} pass, {c.spf_fail:,} fail; "
            f"aligned DKIM: {c.dkim_pass:,} pass, {c.dkim_fail:,} fail"
        )
        lines.append("  Sources")
        width = max(len(_who(s.ip, s.reverse)) for s in d.sources)
        for s in d.sources:
            verdict = "all passed" if not s.dmarc_fail else f"{s.dmarc_fail:,} failed"
            lines.append(
                f"    {_who(s.ip, s.reverse):<{width}}  {_plural(s.messages, 'message')}, {verdict}  "
                f"[{_reporters(s.reporters)}]"
            )
    if d.failures:
        lines.append("  Failures")
        for f in d.failures:
            label = "FAIL" if f.cause.severity == "fail" else "warn"
            lines.append(f"    {label} {_failure_line(f)}")
            if f.cause.fix:
                lines.append(f"         fix: {clean(f.cause.fix)}")
    if d.tls_reports:
        total = d.tls_successes + d.tls_failures
        lines.append(
            f"  TLS    {_plural(total, 'session')}: {d.tls_successes:,} succeeded, {d.tls_failures:,} failed "
            f"({_pct(d.tls_failures, total)})"
        )
        for i in d.tls_issues:
            lines.append(f"    FAIL {_tls_line(i)}")
            if i.cause.fix:
                lines.append(f"         fix: {clean(i.cause.fix)}")
    return lines


def text(summary: Summary) -> str:
    """One block per domain: counts, sources, failures with causes and fixes, TLS; then the totals."""
    lines: list[str] = []
    for d in summary.domains:
        lines.extend(_domain_text(d))
        lines.append("")
    lines.extend(_footer(summary))
    return "\n".join(lines)


def markdown(summary: Summary) -> str:
    """A report for an issue or a pipeline summary: a section per domain with tables."""
    out = ["## DMARC and TLS reports", ""]
    for d in summary.domains:
        c = d.counts
        out += [
            f"### {_md(d.domain)} ({day(d.begin)} to {day(d.end)})",
            "",
            f"{_plural(d.dmarc_reports, 'DMARC report')} and {_plural(d.tls_reports, 'TLS report')} from "
            f"{_md(', '.join(d.reporters))}.",
            "",
        ]
        if d.dmarc_reports:
            out += [
                "| | pass | fail |",
                "|---|---:|---:|",
                f"| DMARC | {c.dmarc_pass:,} | {c.dmarc_fail:,} |",
                f"| SPF (aligned) | {c.spf_pass:,} | {c.spf_fail:,} |",
                f"| DKIM (aligned) | {c.dkim_pass:,} | {c.dkim_fail:,} |",
                "",
                "| Source | Reverse name | Reported by | Messages | DMARC failed |",
                "|---|---|---|---:|---:|",
            ]
            out += [
                f"| {s.ip} | {_md(s.reverse) or '-'} | {_md(', '.join(s.reporters))} | {s.messages:,} | {s.dmarc_fail:,} |"
                for s in d.sources
            ]
            out.append("")
        if d.failures:
            out += ["| | Source | Messages | Cause | Fix |", "|---|---|---:|---|---|"]
            out += [
                f"| {'❌' if f.cause.severity == 'fail' else '⚠️'} | {f.ip} | {f.messages:,} | {_md(f.cause.text)} | {_md(f.cause.fix) or '-'} |"
                for f in d.failures
            ]
            out.append("")
        if d.tls_reports:
            out.append(f"TLS sessions: {d.tls_successes:,} succeeded, {d.tls_failures:,} failed.")
            out.append("")
            if d.tls_issues:
                out += ["| Result | MX | Sessions | Cause | Fix |", "|---|---|---:|---|---|"]
                out += [
                    f"| {_md(i.result_type)} | {_md(i.mx_host)} | {i.sessions:,} | {_md(i.cause.text)} | {_md(i.cause.fix) or '-'} |"
                    for i in d.tls_issues
                ]
                out.append("")
    out += [_md(line) for line in _footer(summary)]
    return "\n".join(out)


def _cause(cause: Any) -> dict[str, str]:
    return {"code": cause.code, "severity": cause.severity, "text": cause.text, "fix": cause.fix}


def _domain_json(d: DomainSummary, threshold: float) -> dict[str, Any]:
    c = d.counts
    return {
        "domain": d.domain,
        "zone": d.zone,
        "begin": day(d.begin),
        "end": day(d.end),
        "dmarc_reports": d.dmarc_reports,
        "tls_reports": d.tls_reports,
        "reporters": list(d.reporters),
        "over_threshold": d.over(threshold),
        "dmarc": {
            "messages": c.messages,
            "pass": c.dmarc_pass,
            "fail": c.dmarc_fail,
            "spf_aligned": {"pass": c.spf_pass, "fail": c.spf_fail},
            "dkim_aligned": {"pass": c.dkim_pass, "fail": c.dkim_fail},
        },
        "sources": [
            {
                "ip": s.ip,
                "reverse": s.reverse or None,
                "reporters": list(s.reporters),
                "messages": s.messages,
                "dmarc_pass": s.dmarc_pass,
                "dmarc_fail": s.dmarc_fail,
            }
            for s in d.sources
        ],
        "failures": [
            {
                "ip": f.ip,
                "reverse": f.reverse or None,
                "reporters": list(f.reporters),
                "messages": f.messages,
                "header_from": f.header_from,
                "envelope_from": f.envelope_from,
                "dkim": list(f.dkim),
                "spf": list(f.spf),
                "cause": _cause(f.cause),
            }
            for f in d.failures
        ],
        "tls": {
            "successful_sessions": d.tls_successes,
            "failed_sessions": d.tls_failures,
            "failures": [
                {
                    "result_type": i.result_type,
                    "mx_host": i.mx_host,
                    "receiving_ip": i.receiving_ip,
                    "sending_ips": list(i.sending_ips),
                    "reporters": list(i.reporters),
                    "sessions": i.sessions,
                    "cause": _cause(i.cause),
                }
                for i in d.tls_issues
            ],
        },
    }


def to_json(summary: Summary) -> str:
    """The summary as one JSON document (ASCII: every outside character escaped by the encoder)."""
    w = summary.window
    doc = {
        "format": FORMAT,
        "version": VERSION,
        "zonesync": __version__,
        "window": {
            "since": day(w.since) if w.since is not None else None,
            "until": day(w.until - 1) if w.until is not None else None,
        },
        "threshold_percent": summary.threshold,
        "failed": bool(summary.over_threshold),
        "domains": [_domain_json(d, summary.threshold) for d in summary.domains],
        "reports": summary.reports,
        "duplicates": summary.duplicates,
        "outside_window": summary.outside_window,
        "ignored_files": summary.ignored,
        "skipped": [{"domain": d, "reports": n} for d, n in summary.skipped],
        "refused": [{"input": r.origin, "reason": r.reason} for r in summary.refused],
    }
    return json.dumps(doc, indent=2, ensure_ascii=True)
