"""The verify report as text (grouped by zone and topic, coloured on a terminal), JSON (schema
zonesync/schemas/verify.schema.json) and Markdown (a pipeline job's summary or an issue). Pure: the report is
data, rendering decides nothing."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from zonesync import __version__
from zonesync.base.escape import escape, json_text, markdown_code, markdown_text
from zonesync.base.plural import counted, duration
from zonesync.verify.result import Finding, Status
from zonesync.verify.runner import Report
from zonesync.verify.since import Change

FORMAT = "zonesync-verify"
VERSION = 1

_ANSI = {Status.PASS: "32", Status.WARN: "33", Status.FAIL: "31", Status.ERROR: "35"}
_LABEL = {Status.PASS: "pass", Status.WARN: "warn", Status.FAIL: "FAIL", Status.ERROR: "ERROR"}
_MARK = {Status.PASS: "✅", Status.WARN: "⚠️", Status.FAIL: "❌", Status.ERROR: "⛔"}


@dataclass(frozen=True)
class Since:
    """`--since FILE`: the earlier result's name (as shown) and what changed since."""

    label: str
    changes: tuple[Change, ...]


_CHANGE_TITLE = {
    "failing": "started failing",
    "recovered": "recovered",
    "status": "status changed",
    "value": "served value changed",
}


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
    if report.wait is not None:
        w = report.wait
        rounds = counted(w.rounds, "round")
        if w.served:
            line += f" Everything was served after {duration(w.waited)} ({rounds})."
        else:
            line += f" Not everything was served within --wait {duration(w.limit)} ({rounds})."
    return line


def _one(value: str) -> str:
    """A finding's field on its line: what servers sent in it escaped, newlines included (a policy or a TXT
    value cannot add a line, a colour or a control sequence to the report)."""
    return escape(value, keep_lines=False)


def _change_line(c: Change) -> str:
    before, after = c.before or "(not there)", c.after or "(not there)"
    return _one(f"{c.zone}: {_CHANGE_TITLE[c.kind]}: {c.subject}: {before} -> {after}")


def since_text(since: Since) -> str:
    """The changes since the earlier result, one line each (or that there are none); what the earlier file
    said is escaped like everything read from outside."""
    if not since.changes:
        return f"No change since {_one(since.label)}."
    lines = [f"Changes since {_one(since.label)} ({counted(len(since.changes), 'change')}):"]
    lines += [f"  {_change_line(c)}" for c in since.changes]
    return "\n".join(lines)


def text(
    report: Report,
    *,
    verbose: bool = False,
    color: bool = False,
    strict: bool = False,
    since: Since | None = None,
) -> str:
    """Passing checks are one line each; failures add their fix; `verbose` adds details (the SPF tree);
    `since` adds what changed since an earlier result, before the summary."""
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
    if since is not None:
        lines += [since_text(since), ""]
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


def change_json(c: Change) -> dict[str, str]:
    return {"zone": c.zone, "kind": c.kind, "subject": c.subject, "before": c.before, "after": c.after}


def document(report: Report, strict: bool = False, since: Since | None = None) -> dict[str, Any]:
    """The JSON document (schema zonesync/schemas/verify.schema.json); `wait` and `since` only when asked."""
    zones = set(report.zones)
    doc: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "zonesync": __version__,
        "passed": report.passed(strict),
        "strict": strict,
        "counts": report.counts(),
        "zones": [
            {
                "zone": z,
                "counts": report.counts(z),
                "findings": [finding_json(f) for f in report.for_zone(z)],
                "served": {name: list(values) for name, values in report.served.get(z, {}).items()},
            }
            for z in report.zones
        ],
        "machine": [finding_json(f) for f in report.findings if f.zone not in zones],
        "not_checked": list(report.not_checked),
    }
    if report.wait is not None:
        w = report.wait
        doc["wait"] = {
            "limit": w.limit,
            "waited": round(w.waited, 3),
            "rounds": w.rounds,
            "served": w.served,
            "missing": list(w.missing),
        }
    if since is not None:
        doc["since"] = {"file": since.label, "changes": [change_json(c) for c in since.changes]}
    return doc


def to_json(report: Report, strict: bool = False, since: Since | None = None) -> str:
    """Valid UTF-8 whatever the servers sent (`zonesync.base.escape.json_text`)."""
    return json_text(json.dumps(document(report, strict, since), indent=2, ensure_ascii=False))


def markdown(report: Report, *, strict: bool = False, since: Since | None = None) -> str:
    """A table per zone: status, topic, what was checked, what was seen and the fix; with `since`, first a
    table of what changed since the earlier result."""
    out = [f"### zonesync verify: {markdown_text(summary(report, strict))}", ""]
    if since is not None:
        if since.changes:
            out += [
                f"#### Changes since {markdown_text(since.label)}",
                "",
                "| zone | change | checked | before | now |",
                "|---|---|---|---|---|",
            ]
            out += [
                f"| {markdown_text(c.zone)} | {_CHANGE_TITLE[c.kind]} | {markdown_code(c.subject, in_table=True)} "
                f"| {markdown_text(c.before)} | {markdown_text(c.after)} |"
                for c in since.changes
            ]
            out.append("")
        else:
            out += [f"No change since {markdown_text(since.label)}.", ""]
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
