"""SMTP TLS reports (RFC 8460 §4, JSON) into `TlsReport`, every field's type checked. Pure."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from zonesync.reports.model import ReportRefused, TlsFailure, TlsPolicy, TlsReport

MAX_POLICIES = 10_000
MAX_DETAILS = 100_000


def _bad(what: str) -> ReportRefused:
    return ReportRefused(f"TLS report: {what}")


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _bad(f"{where} is not an object")
    return value


def _str(obj: dict[str, Any], key: str, where: str, required: bool = False) -> str:
    value = obj.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise _bad(f"{where}.{key} is {'missing' if value is None else 'not a string'}")
    return value


def _count(obj: dict[str, Any], key: str, where: str) -> int:
    value = obj.get(key, 0)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _bad(f"{where}.{key} is not a count")
    return value


def _time(text: str, where: str) -> int:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise _bad(f"{where} is not an RFC 3339 date-time ({text[:40]!r})") from None
    if moment.tzinfo is None:
        raise _bad(f"{where} has no time zone ({text[:40]!r})")
    return int(moment.timestamp())


def _failure(value: Any, where: str) -> TlsFailure:
    d = _object(value, where)
    return TlsFailure(
        result_type=_str(d, "result-type", where, required=True).lower(),
        sending_mta_ip=_str(d, "sending-mta-ip", where),
        receiving_mx_hostname=_str(d, "receiving-mx-hostname", where).lower().rstrip("."),
        receiving_ip=_str(d, "receiving-ip", where),
        count=_count(d, "failed-session-count", where),
        reason_code=_str(d, "failure-reason-code", where),
        additional_information=_str(d, "additional-information", where),
    )


def _policy(value: Any, where: str) -> TlsPolicy:
    entry = _object(value, where)
    policy = _object(entry.get("policy"), f"{where}.policy")
    summary = _object(entry.get("summary"), f"{where}.summary")
    mx = policy.get("mx-host", [])
    mx_hosts = [mx] if isinstance(mx, str) else mx
    if not isinstance(mx_hosts, list) or not all(isinstance(h, str) for h in mx_hosts):
        raise _bad(f"{where}.policy.mx-host is not a host name or a list of them")
    details = entry.get("failure-details", [])
    if not isinstance(details, list) or len(details) > MAX_DETAILS:
        raise _bad(f"{where}.failure-details is not a list (of at most {MAX_DETAILS:,})")
    return TlsPolicy(
        policy_type=_str(policy, "policy-type", f"{where}.policy", required=True).lower(),
        domain=_str(policy, "policy-domain", f"{where}.policy", required=True).lower().rstrip("."),
        mx_hosts=tuple(h.lower() for h in mx_hosts),
        successes=_count(summary, "total-successful-session-count", f"{where}.summary"),
        failures=_count(summary, "total-failure-session-count", f"{where}.summary"),
        details=tuple(_failure(d, f"{where}.failure-details[{i}]") for i, d in enumerate(details)),
    )


def parse(data: bytes, origin: str = "") -> TlsReport:
    """One TLS report. ReportRefused for malformed JSON (or nesting too deep to parse), or a document
    that is not a TLS report (a missing or mistyped field)."""
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise _bad("not UTF-8") from None
    except json.JSONDecodeError as exc:
        raise _bad(f"malformed JSON ({exc})") from None
    except RecursionError:
        raise _bad("malformed JSON (nested too deep)") from None
    top = _object(doc, "the document")
    dates = _object(top.get("date-range"), "date-range")
    policies = top.get("policies")
    if not isinstance(policies, list) or len(policies) > MAX_POLICIES:
        raise _bad(f"policies is not a list (of at most {MAX_POLICIES:,})")
    return TlsReport(
        org_name=_str(top, "organization-name", "report", required=True),
        contact=_str(top, "contact-info", "report"),
        report_id=_str(top, "report-id", "report", required=True),
        begin=_time(_str(dates, "start-datetime", "date-range", required=True), "date-range.start-datetime"),
        end=_time(_str(dates, "end-datetime", "date-range", required=True), "date-range.end-datetime"),
        policies=tuple(_policy(p, f"policies[{i}]") for i, p in enumerate(policies)),
        origin=origin,
    )
