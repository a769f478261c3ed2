"""Reading the paths given: files, directories (walked), Maildirs (messages in cur/ and new/; tmp/ holds
deliveries in progress and is skipped), mail messages (.eml); every report parsed, copies of the same
report kept once. A refused input is recorded with its reason and the rest is read on.

The I/O edge of `zonesync reports`: the file system, within the bounds of `unpack`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from zonesync.reports import dmarc, tlsrpt
from zonesync.reports.messages import looks_like_message, report_documents
from zonesync.reports.model import Refusal, Report, ReportRefused
from zonesync.reports.unpack import Document, documents, read_file, sniff

MAX_FILES = 100_000
"""Files looked at per run; a mailbox of report mail for years stays well under."""
MAX_DEPTH = 8


@dataclass(frozen=True)
class Collected:
    """Everything read: the reports (first copy of each), how many copies were dropped, the inputs
    refused, and the files in directories that hold no report (other mail, other files)."""

    reports: tuple[Report, ...]
    duplicates: int
    refused: tuple[Refusal, ...]
    ignored: int
    files: int


def parse_document(doc: Document, origin: str) -> Report:
    """A report document as its report: XML as DMARC, JSON as TLS-RPT."""
    if doc.kind == "xml":
        return dmarc.parse(doc.data, origin)
    return tlsrpt.parse(doc.data, origin)


def dedupe(reports: Iterable[Report]) -> tuple[tuple[Report, ...], int]:
    """The reports with copies dropped (the same reporter's same report id, whatever file it came in),
    in the order first seen; and the number dropped."""
    seen: dict[tuple[str, str, str], Report] = {}
    dropped = 0
    for report in reports:
        if report.key in seen:
            dropped += 1
        else:
            seen[report.key] = report
    return tuple(seen.values()), dropped


def _walk(root: Path, depth: int = 0) -> Iterator[Path]:
    """Files under `root`, sorted, symlinked directories not followed, a Maildir's tmp/ skipped."""
    if depth > MAX_DEPTH:
        return
    try:
        entries = sorted(os.scandir(root), key=lambda e: e.name)
    except OSError:
        return
    is_maildir = {"cur", "new", "tmp"} <= {e.name for e in entries if e.is_dir(follow_symlinks=False)}
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            if not (is_maildir and entry.name == "tmp"):
                yield from _walk(Path(entry.path), depth + 1)
        elif entry.is_file(follow_symlinks=False):
            yield Path(entry.path)


def _documents_of(path: Path, data: bytes) -> list[Document]:
    if sniff(data) == "unknown" and looks_like_message(data):
        return report_documents(data)
    return documents(path.name, data)


def collect(paths: Iterable[Path]) -> Collected:
    """Every report under `paths`. A path given that holds no report is refused; a file found in a
    directory that is neither a report nor a message with one is counted as ignored."""
    reports: list[Report] = []
    refused: list[Refusal] = []
    ignored = files = 0
    for given in paths:
        walked = given.is_dir()
        for path in _walk(given) if walked else [given]:
            files += 1
            if files > MAX_FILES:
                refused.append(Refusal(str(given), f"more than {MAX_FILES:,} files: the rest not read"))
                break
            origin = str(path)
            try:
                data = read_file(path)
                if walked and sniff(data) == "unknown" and not looks_like_message(data):
                    ignored += 1
                    continue
                docs = _documents_of(path, data)
                if not docs:
                    if walked:
                        ignored += 1
                        continue
                    raise ReportRefused("a message without a report attached")
                parsed = [
                    parse_document(doc, origin if doc.name == path.name else f"{origin}: {doc.name}")
                    for doc in docs
                ]
                reports.extend(parsed)  # all of a file's reports, or none
            except ReportRefused as exc:
                refused.append(Refusal(origin, str(exc)))
            except OSError as exc:
                refused.append(Refusal(origin, f"cannot read ({exc.strerror or exc})"))
    unique, dropped = dedupe(reports)
    return Collected(unique, dropped, tuple(refused), ignored, files)
