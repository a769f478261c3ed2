"""Bounded reading of report files: a file, a gzip stream or a zip archive becomes report documents
(XML or JSON bytes), never more than the limits below, read in chunks so a zip bomb stops at the cap
instead of filling memory. An archive inside an archive is refused: receivers never send one.

Pure (bytes in, bytes out) but for `read_file`, which reads at most `MAX_INPUT_BYTES` from disk.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from zonesync.reports.model import ReportRefused

MAX_INPUT_BYTES = 16 * 1024 * 1024
"""A report file or a mail message as stored (compressed); receivers send a few kilobytes to a few MB."""
MAX_REPORT_BYTES = 32 * 1024 * 1024
"""One report once decompressed; and, for a zip, all its members together."""
MAX_ZIP_MEMBERS = 16
"""Receivers put one report in a zip; a handful of files at most is tolerated."""
CHUNK = 64 * 1024

_MIB = 1024 * 1024


@dataclass(frozen=True)
class Document:
    """One report document as bytes, and its name (the file, attachment or archive member name)."""

    name: str
    data: bytes
    kind: str  # "xml" | "json"


def sniff(data: bytes) -> str:
    """What the bytes are by their first bytes: gzip, zip, xml, json, or unknown."""
    if data[:2] == b"\x1f\x8b":
        return "gzip"
    if data[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return "zip"
    head = data[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head[:1] == b"<":
        return "xml"
    if head[:1] in (b"{", b"["):
        return "json"
    return "unknown"


def read_file(path: Path, limit: int = MAX_INPUT_BYTES) -> bytes:
    """The file's bytes; ReportRefused when it holds more than `limit` (only `limit` + 1 bytes are read)."""
    with path.open("rb") as f:
        data = f.read(limit + 1)
    if len(data) > limit:
        raise ReportRefused(f"larger than {limit // _MIB} MiB: not a report")
    return data


def gunzip(data: bytes, limit: int = MAX_REPORT_BYTES) -> bytes:
    """A gzip stream (one member or several) decompressed, at most `limit` bytes out; ReportRefused beyond,
    or on a corrupt or truncated stream."""
    out = bytearray()
    rest = data
    try:
        while rest:
            d = zlib.decompressobj(16 + zlib.MAX_WBITS)
            pending = rest
            while True:
                chunk = d.decompress(pending, CHUNK)  # never more than CHUNK bytes out at a time
                out += chunk
                if len(out) > limit:
                    raise ReportRefused(f"decompresses to more than {limit // _MIB} MiB (a zip bomb?)")
                pending = d.unconsumed_tail
                if d.eof:
                    break
                if not pending and not chunk:
                    raise ReportRefused("truncated gzip stream")
            rest = d.unused_data.lstrip(b"\x00")
    except zlib.error as exc:
        raise ReportRefused(f"corrupt gzip stream ({exc})") from None
    if len(out) > limit:
        raise ReportRefused(f"decompresses to more than {limit // _MIB} MiB (a zip bomb?)")
    return bytes(out)


def unzip(data: bytes, limit: int = MAX_REPORT_BYTES) -> list[tuple[str, bytes]]:
    """The files of a zip archive (directories skipped), read in chunks: ReportRefused past
    `MAX_ZIP_MEMBERS` files, past `limit` bytes in all (whatever the headers claim), or on a corrupt or
    encrypted archive."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = [i for i in archive.infolist() if not i.is_dir()]
        if len(members) > MAX_ZIP_MEMBERS:
            raise ReportRefused(f"a zip archive with {len(members):,} files (at most {MAX_ZIP_MEMBERS})")
        files: list[tuple[str, bytes]] = []
        total = 0
        for info in members:
            buf = bytearray()
            with archive.open(info) as member:
                while chunk := member.read(CHUNK):
                    buf += chunk
                    total += len(chunk)
                    if total > limit:
                        raise ReportRefused(f"decompresses to more than {limit // _MIB} MiB (a zip bomb?)")
            files.append((info.filename, bytes(buf)))
        return files
    except ReportRefused:
        raise
    except RuntimeError as exc:  # encrypted member
        raise ReportRefused(f"unreadable zip archive ({exc})") from None
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, ValueError, OSError) as exc:
        raise ReportRefused(f"corrupt zip archive ({exc})") from None


def documents(name: str, data: bytes) -> list[Document]:
    """The report documents in a file or attachment: itself (XML, JSON), a gzip stream's content or a zip
    archive's members. ReportRefused for an archive in an archive, or content that is none of these."""
    kind = sniff(data)
    if kind in ("xml", "json"):
        return [Document(name, data, kind)]
    if kind == "gzip":
        inner = [(name.removesuffix(".gz"), gunzip(data))]
    elif kind == "zip":
        inner = unzip(data)
    else:
        raise ReportRefused("not a report (neither XML, JSON, gzip nor zip)")
    found: list[Document] = []
    for member, content in inner:
        inner_kind = sniff(content)
        if inner_kind in ("gzip", "zip"):
            raise ReportRefused(f"an archive inside an archive ({member}): refused")
        if inner_kind not in ("xml", "json"):
            raise ReportRefused(f"{member}: not a report (neither XML nor JSON)")
        found.append(Document(member, content, inner_kind))
    return found
