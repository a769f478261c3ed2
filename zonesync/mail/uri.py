"""Report URIs: one parser for DMARC `rua`/`ruf` (RFC 7489 §6.2, `dmarc-uri`) and TLS-RPT `rua`
(RFC 8460 §3). Each caller decides which schemes it accepts; the syntax is checked here once. Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

_ADDR = re.compile(
    r"^[^@\s]+@([a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?)+)$", re.I
)
_SIZE = re.compile(r"^\d+[kmgt]?$", re.I)


class UriError(ValueError):
    """Why a report URI is malformed (the message names the URI)."""


@dataclass(frozen=True)
class ReportUri:
    text: str
    scheme: str  # lower-case: "mailto", "https", "http", or whatever was written ("" without one)
    address: str | None = None  # mailto: the address, percent-decoded
    domain: str | None = None  # mailto: the address's domain, lower-case
    host: str | None = None  # http(s): the host
    size: str | None = None  # DMARC's `!size` limit


def split_uris(value: str) -> list[str]:
    """A tag's comma-separated URI list (RFC 7489 §6.4, RFC 8460 §3), blanks dropped."""
    return [u.strip() for u in value.split(",") if u.strip()]


def parse(uri: str, *, size_limit: bool = False) -> ReportUri:
    """One URI; `size_limit` allows DMARC's `!<size>` suffix. Raises UriError when malformed."""
    base, size = uri, None
    if size_limit and "!" in uri:
        base, size = uri.rsplit("!", 1)
        if not _SIZE.match(size):
            raise UriError(
                f"{uri!r}: the size limit after `!` must be a number with k, m, g or t (RFC 7489 §6.2)"
            )
    if "," in base:
        raise UriError(
            f"{uri!r}: a comma separates report URIs, so it must not appear inside one: list them separately"
        )
    scheme = base.split(":", 1)[0].lower() if ":" in base else ""
    if scheme == "mailto":
        addr = unquote(base[len("mailto:") :])
        m = _ADDR.match(addr)
        if not m:
            raise UriError(f"{uri!r}: {addr!r} is not an email address (like mailto:reports@example.com)")
        return ReportUri(uri, scheme, addr, m.group(1).lower(), None, size)
    if scheme in ("https", "http"):
        host = urlsplit(base).hostname
        if not host:
            raise UriError(f"{uri!r} has no host")
        return ReportUri(uri, scheme, host=host, size=size)
    return ReportUri(uri, scheme, size=size)
