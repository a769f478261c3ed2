"""The verify report as text (grouped by zone and topic, coloured on a terminal), JSON (schema
zonesync/schemas/verify.schema.json) and Markdown (a pipeline job's summary or an issue). Pure: the report is
data, rendering decides nothing."""

from __future__ import annotations

import json
from typing import Any

from zonesync import __version__
from zonesync.escape import escape, json_text, markdown_code, markdown_text
from zonesync.plural import counted
from zonesync.verify.result import Finding, Status
from zonesync.verify.runner import Report

FORMAT = "zonesync-verify"
VERSION = 1

_ANSI = {Status.PASS: "32", Status.WARN: "33", Status.FAIL: "31", Status.ERROR: "35"}
_LABEL = {Status.PASS: "pass", Status.WARN: "warn", Status.FAIL: "FAIL", Status.ERROR: "ERROR"}
_MARK = {Status.PASS: "✅", Status.WARN: "⚠️", Status.FAIL: "❌", Status.ERROR: "⛔"}


def _paint(text: str, status: Status, color: bool) -> str:
    return f"\x1b[{_ANSI[status]}m{text}\x1b[0m" if color else text


def summary(report: Report, strict: bool = False) -> str:
    c = report.counts()
    parts = [f"{c['pass']:,} passed", counted(c["warn"], "warning"), f"{c['fail']:,} failed"]
    if c["error"]:
        parts.append(f"{c['error']:,} could not run")
    verdict = "Verification passed" if report.passed(strict) else "Verification failed"
    if strict and c["warn"] and not (c["fail"] or c["error"]):
        verdict += " (--strict: warnings fail)"
    line = f"{verdict}: {', '.join(parts)} ({counted(len(report.zones), 'zone')})."
    if report.not_checked:
        line += f" Not checked (--dns-only): {' and '.join(report.not_checked)}, which need the real hosts."
    return line


def _one(value: str) -> str:
    """A finding's field on its line: what servers sent in it escaped, newlines included (a policy or a TXT
    value cannot add a line, a colour or a control sequence to the report)."""
    return escape(value, keep_lines=False)


def text(report: Report, *, verbose: bool = False, color: bool = False, strict: bool = False) -> str:
    """Passing checks are one line each; failures add their fix; `verbose` adds details (the SPF tree)."""
    lines: list[str] = []
    for zone in report.zones:
        findings = report.for_zone(zone)
        lines.append(_one(zone))
        for f in findings:
            label = _paint(f"{_LABEL[f.status]:<5}", f.status, color)
            lines.append(f"  {_one(f.topic):<8} {label} {_one(f.subject)}: {_one(f.message)}")
            if f.fix and f.status is not Status.PASS:
                lines.append(f"  {'':<8}       fix: {_one(f.fix)}")
            if verbose:
                lines.extend(f"  {'':<8}       | {_one(d)}" for d in f.details)
        lines.append("")
    zones = set(report.zones)
    extra = [f for f in report.findings if f.zone not in zones]
    for f in extra:  # --outbound: about this machine, not a zone
        label = _paint(f"{_LABEL[f.status]:<5}", f.status, color)
        lines.append(f"{_one(f.topic):<10} {label} {_one(f.subject)}: {_one(f.message)}")
        if f.fix and f.status is not Status.PASS:
            lines.append(f"{'':<10}       fix: {_one(f.fix)}")
    if extra:
        lines.append("")
    lines.append(summary(report, strict))
    return "\n".join(lines)


def finding_json(f: Finding) -> dict[str, Any]:
    return {
        "topic": f.topic,
        "subject": f.subject,
        "status": f.status.value,
        "message": f.message,
        "fix": f.fix,
        "details": list(f.details),
    }


def document(report: Report, strict: bool = False) -> dict[str, Any]:
    zones = set(report.zones)
    return {
        "format": FORMAT,
        "version": VERSION,
        "zonesync": __version__,
        "passed": report.passed(strict),
        "strict": strict,
        "counts": report.counts(),
        "zones": [
            {"zone": z, "counts": report.counts(z), "findings": [finding_json(f) for f in report.for_zone(z)]}
            for z in report.zones
        ],
        "machine": [finding_json(f) for f in report.findings if f.zone not in zones],
        "not_checked": list(report.not_checked),
    }


def to_json(report: Report, strict: bool = False) -> str:
    """Valid UTF-8 whatever the servers sent (`zonesync.escape.json_text`)."""
    return json_text(json.dumps(document(report, strict), indent=2, ensure_ascii=False))


def markdown(report: Report, *, strict: bool = False) -> str:
    """A table per zone: status, topic, what was checked, what was seen and the fix."""
    out = [f"### zonesync verify: {markdown_text(summary(report, strict))}", ""]
    zones = set(report.zones)
    groups = [(z, report.for_zone(z)) for z in report.zones]
    machine = [f for f in report.findings if f.zone not in zones]
    if machine:
        groups.append(("this machine", machine))
    for title, findings in groups:
        out += [
            f"#### {markdown_text(title)}",
            "",
            "| | topic | checked | result | fix |",
            "|---|---|---|---|---|",
        ]
        for f in findings:
            out.append(
                f"| {_MARK[f.status]} | {markdown_text(f.topic)} | {markdown_code(f.subject, in_table=True)} "
                f"| {markdown_text(f.message)} | {markdown_text(f.fix)} |"
            )
        out.append("")
    return "\n".join(out)
