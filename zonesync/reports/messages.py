"""Report attachments in a mail message (RFC 7489 §7.2.1.1: gzip or zip attachments; RFC 8460 §5.3:
application/tlsrpt+gzip or +json), found with the standard library's `email` package. Pure.
"""

from __future__ import annotations

import email
import email.policy
import re
from email.message import EmailMessage

from zonesync.reports.model import ReportRefused
from zonesync.reports.unpack import Document, documents

MAX_PARTS = 64
"""A report message has two or three parts; more is not a report message."""

_HEADER = re.compile(rb"^(?:From |[!-9;-~]+:)")
_REPORT_TYPES = {
    "application/gzip",
    "application/x-gzip",
    "application/zip",
    "application/x-zip-compressed",
    "application/tlsrpt+gzip",
    "application/tlsrpt+json",
    "application/json",
    "application/xml",
    "text/xml",
}
_REPORT_SUFFIXES = (".xml", ".xml.gz", ".zip", ".gz", ".json", ".json.gz")


def looks_like_message(data: bytes) -> bool:
    """Whether the bytes start like a mail message (a header line, or an mbox `From ` line)."""
    return bool(_HEADER.match(data[:200]))


def _is_report_part(part: EmailMessage) -> bool:
    filename = (part.get_filename() or "").lower()
    return part.get_content_type() in _REPORT_TYPES or filename.endswith(_REPORT_SUFFIXES)


def report_documents(data: bytes) -> list[Document]:
    """The report documents attached to a message (none for a message without one). ReportRefused for a
    message of more than `MAX_PARTS` parts, or when an attachment is refused (`unpack.documents`)."""
    message = email.message_from_bytes(data, policy=email.policy.default)
    found: list[Document] = []
    for n, part in enumerate(message.walk()):
        if n >= MAX_PARTS:
            raise ReportRefused(f"a message of more than {MAX_PARTS} parts: not a report message")
        if part.is_multipart() or not isinstance(part, EmailMessage) or not _is_report_part(part):
            continue
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes) or not payload:
            continue
        name = part.get_filename() or part.get_content_type()
        try:
            found.extend(documents(name, payload))
        except ReportRefused as exc:
            raise ReportRefused(f"attachment {name}: {exc}") from None
    return found
