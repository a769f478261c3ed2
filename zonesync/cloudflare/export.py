"""Cloudflare's BIND export of a zone through the official SDK (`dns.records.export`), read with a bound on
its size and checked (`zonesync.cloudflare.export_check`) before anything is written."""

from __future__ import annotations

import cloudflare

from zonesync.cloudflare import schema
from zonesync.cloudflare.export_check import ExportError, check_export

MAX_EXPORT_BYTES = 128 * 1024 * 1024
"""An export larger than this is refused (far above what the largest zone Cloudflare hosts exports)."""


def read_export(client: cloudflare.Cloudflare, zone_id: str, zone: str) -> str:
    """The zone's export as Cloudflare wrote it. Raises the SDK's errors (a refused request), httpx's
    (cut off, too slow) and AnswerError (not a text/plain BIND file of this zone, or too large)."""
    with client.dns.records.with_streaming_response.export(zone_id=zone_id) as response:
        ctype = response.headers.get("content-type", "")
        if ctype.split(";")[0].strip().lower() != "text/plain":
            raise schema.AnswerError(f"the export is not text/plain ({ctype[:60]!r})")
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > MAX_EXPORT_BYTES:
                raise schema.AnswerError(f"the export is larger than {MAX_EXPORT_BYTES // 2**20} MiB")
            chunks.append(chunk)
    try:
        text = b"".join(chunks).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise schema.AnswerError(f"the export is not UTF-8 text (byte {exc.start})") from None
    try:
        return check_export(text, zone)
    except ExportError as exc:
        raise schema.AnswerError(f"the export is not a BIND file of {zone}: {exc}") from None
