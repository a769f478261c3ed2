"""DMARC aggregate reports (RFC 9990's namespaced XML, and RFC 7489 Appendix C's) into `DmarcReport`.

XML goes through defusedxml: a DTD, entity declarations and external references are refused, so a
"billion laughs" report or one that reads local files is refused instead of expanded. Pure.
"""

from __future__ import annotations

import ipaddress
from xml.etree.ElementTree import Element, ParseError

import defusedxml
import defusedxml.ElementTree

from zonesync.reports.model import DkimAuth, DmarcReport, DmarcRow, ReportRefused, SpfAuth

RFC9990_NS = "urn:ietf:params:xml:ns:dmarc-2.0"
MAX_ROWS = 200_000
"""More records than any receiver sends in a day for one domain."""


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(node: Element | None, name: str) -> Element | None:
    if node is None:
        return None
    for child in node:
        if _local(child.tag) == name:
            return child
    return None


def _children(node: Element | None, name: str) -> list[Element]:
    return [] if node is None else [c for c in node if _local(c.tag) == name]


def _text(node: Element | None, *path: str) -> str:
    for name in path:
        node = _child(node, name)
    return (node.text or "").strip() if node is not None else ""


def _int(node: Element | None, *path: str, field: str) -> int:
    text = _text(node, *path)
    try:
        value = int(text)
    except ValueError:
        raise ReportRefused(f"DMARC report: {field} is not a number ({text[:40]!r})") from None
    if value < 0:
        raise ReportRefused(f"DMARC report: {field} is negative")
    return value


def _row(record: Element) -> DmarcRow:
    row = _child(record, "row")
    ip = _text(row, "source_ip")
    try:
        ip = str(ipaddress.ip_address(ip))
    except ValueError:
        raise ReportRefused(f"DMARC report: source_ip is not an IP address ({ip[:60]!r})") from None
    evaluated = _child(row, "policy_evaluated")
    ids = _child(record, "identifiers")
    auth = _child(record, "auth_results")
    return DmarcRow(
        source_ip=ip,
        count=_int(row, "count", field="count"),
        disposition=_text(evaluated, "disposition").lower(),
        dkim_aligned=_text(evaluated, "dkim").lower(),
        spf_aligned=_text(evaluated, "spf").lower(),
        reasons=tuple(_text(r, "type").lower() for r in _children(evaluated, "reason")),
        header_from=_text(ids, "header_from").lower(),
        envelope_from=_text(ids, "envelope_from").lower(),
        envelope_to=_text(ids, "envelope_to").lower(),
        dkim=tuple(
            DkimAuth(_text(d, "domain").lower(), _text(d, "selector"), _text(d, "result").lower())
            for d in _children(auth, "dkim")
        ),
        spf=tuple(
            SpfAuth(_text(s, "domain").lower(), _text(s, "scope").lower(), _text(s, "result").lower())
            for s in _children(auth, "spf")
        ),
    )


def parse(data: bytes, origin: str = "") -> DmarcReport:
    """One aggregate report. ReportRefused for XML with a DTD or entities, malformed XML, or a document
    that is not an aggregate report (no feedback root, no report id, no domain)."""
    try:
        root = defusedxml.ElementTree.fromstring(data, forbid_dtd=True)
    except defusedxml.DTDForbidden:
        raise ReportRefused("XML with a DTD (entity expansion or external entities): refused") from None
    except defusedxml.EntitiesForbidden:
        raise ReportRefused("XML with entity declarations (entity expansion): refused") from None
    except defusedxml.ExternalReferenceForbidden:
        raise ReportRefused("XML with an external reference: refused") from None
    except defusedxml.DefusedXmlException as exc:
        raise ReportRefused(f"unsafe XML: refused ({exc})") from None
    except ParseError as exc:
        raise ReportRefused(f"malformed XML ({exc})") from None
    if _local(root.tag) != "feedback":
        raise ReportRefused(f"not a DMARC aggregate report (the root element is <{_local(root.tag)[:40]}>)")
    namespace = root.tag[1:].split("}", 1)[0] if root.tag.startswith("{") else ""
    meta = _child(root, "report_metadata")
    published = _child(root, "policy_published")
    report_id = _text(meta, "report_id")
    domain = _text(published, "domain").lower().rstrip(".")
    if not report_id:
        raise ReportRefused("DMARC report without report_metadata/report_id")
    if not domain:
        raise ReportRefused("DMARC report without policy_published/domain")
    records = _children(root, "record")
    if len(records) > MAX_ROWS:
        raise ReportRefused(f"DMARC report with {len(records):,} records (at most {MAX_ROWS:,})")
    return DmarcReport(
        schema="rfc9990" if namespace == RFC9990_NS else "rfc7489",
        org_name=_text(meta, "org_name"),
        email=_text(meta, "email"),
        report_id=report_id,
        begin=_int(meta, "date_range", "begin", field="date_range/begin"),
        end=_int(meta, "date_range", "end", field="date_range/end"),
        domain=domain,
        policy=_text(published, "p").lower(),
        adkim=_text(published, "adkim").lower() or "r",
        aspf=_text(published, "aspf").lower() or "r",
        rows=tuple(_row(r) for r in records),
        origin=origin,
    )
