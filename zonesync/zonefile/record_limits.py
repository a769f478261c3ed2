"""Cloudflare's limits on DNS record content, in one table, each with its source (the quotes and the
reasoning are in docs/cloudflare-limits.md): a record past one of them fails its whole batch at apply, so
`validate` refuses it first, naming the file and line.

Name limits (253 characters, 63 per label) are `zonesync.zonefile.names`'s; TTL limits are `zonesync.zonefile.load`'s.
Pure: records in, diagnostics out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from zonesync.model import Diagnostic, Record, Source
from zonesync.zonefile import rdata


@dataclass(frozen=True)
class Limit:
    """One limit: its value, what it bounds, and where Cloudflare says (or was seen to enforce) it."""

    value: int
    what: str
    source: str


RECORD_WIRE_BYTES = Limit(
    4096,
    "bytes of one record in DNS wire format",
    "Cloudflare docs, DNS record types (dns/manage-dns-records/reference/dns-record-types, 2026)",
)
TXT_TEXT_BYTES = Limit(
    4080,
    "bytes of text in one TXT record (16 character-strings of 255 bytes, each with its length byte: 4,096)",
    "derived from RECORD_WIRE_BYTES; 4,080 observed as the API maximum (cloudflare-docs#30039)",
)
SET_CONTENT_CHARS = Limit(
    8192,
    "characters of content of all the records of one name and type together",
    "Cloudflare docs, DNS record types (2026; before: TXT only, cloudflare-docs#12481, #29286)",
)
COMMENT_CHARS_FREE = Limit(
    100,
    "characters of a record comment on the Free plan",
    "Cloudflare docs, record attributes (dns/manage-dns-records/reference/record-attributes); the API's "
    "9313 'DNS record comment exceeds the maximum length of 100 characters.' "
    "(STRRL/cloudflare-tunnel-ingress-controller#168)",
)
COMMENT_CHARS_PAID = Limit(
    500,
    "characters of a record comment on the Pro, Business and Enterprise plans",
    "Cloudflare docs, record attributes (cloudflare-docs#8910)",
)
TAG_NAME_CHARACTERS = "letters, digits, `-` and `_`"
"""What a tag's name (before `:`) may hold; comments and tag values hold no line break (record attributes)."""

LIMITS = (RECORD_WIRE_BYTES, TXT_TEXT_BYTES, SET_CONTENT_CHARS, COMMENT_CHARS_FREE, COMMENT_CHARS_PAID)


def txt_wire_bytes(text: str) -> int:
    """The size of a TXT record's text in wire format: each 255-byte character-string plus its length byte
    (RFC 1035 §3.3.14), split as zonesync sends it (`rdata.txt_chunks`)."""
    return sum(len(chunk) + 1 for chunk in rdata.txt_chunks(text))


def _where(record: Record) -> Source:
    return record.source or Source("<zone>")


def check_records(records: Iterable[Record], enterprise: bool = False) -> list[Diagnostic]:
    """Each record against the per-record limits: TXT text size, comment length and characters, tag names.

    A comment over the Free plan's 100 characters is a warning (the zone's plan is not known offline;
    `enterprise: true` says it is a paid one); over 500, an error on any plan."""
    out: list[Diagnostic] = []
    for rec in records:
        if rec.type == "TXT" and len(rec.value) > TXT_TEXT_BYTES.value // 4:  # shorter text cannot be too big
            wire = txt_wire_bytes(rec.value)
            if wire > RECORD_WIRE_BYTES.value:
                size = len(rec.value.encode("utf-8", "surrogateescape"))
                out.append(
                    Diagnostic(
                        "error",
                        _where(rec),
                        f"a TXT value of {size:,} bytes ({wire:,} in DNS wire format) is refused by Cloudflare: "
                        f"at most {RECORD_WIRE_BYTES.value:,} bytes in wire format, {TXT_TEXT_BYTES.value:,} "
                        "bytes of ASCII text; shorten it, or split it into several records if its reader allows",
                    )
                )
        if rec.comment is not None:
            out.extend(_comment(rec, enterprise))
        for tag in rec.tags:
            name = tag.split(":", 1)[0]
            if not name or not all(c.isascii() and (c.isalnum() or c in "-_") for c in name) or "\n" in tag:
                out.append(
                    Diagnostic(
                        "error",
                        _where(rec),
                        f"tag {tag!r} is refused by Cloudflare: a tag is `name:value`, its name made of "
                        f"{TAG_NAME_CHARACTERS}, without line breaks",
                    )
                )
    return out


def _comment(rec: Record, enterprise: bool) -> list[Diagnostic]:
    comment = rec.comment or ""
    if "\n" in comment or "\r" in comment:
        return [
            Diagnostic("error", _where(rec), "a comment cannot hold a line break (Cloudflare refuses it)")
        ]
    if len(comment) > COMMENT_CHARS_PAID.value:
        return [
            Diagnostic(
                "error",
                _where(rec),
                f"a comment of {len(comment)} characters is refused by Cloudflare (at most "
                f"{COMMENT_CHARS_PAID.value} on any plan, {COMMENT_CHARS_FREE.value} on Free): shorten it",
            )
        ]
    if len(comment) > COMMENT_CHARS_FREE.value and not enterprise:
        return [
            Diagnostic(
                "warning",
                _where(rec),
                f"a comment of {len(comment)} characters is refused on Cloudflare's Free plan (at most "
                f"{COMMENT_CHARS_FREE.value}; {COMMENT_CHARS_PAID.value} on paid plans): shorten it unless "
                "the zone is on a paid plan",
            )
        ]
    return []


def content_chars(rec: Record) -> int:
    """The length of a record's content as zonesync sends it (TXT: quoted and split; others: the value,
    which is never shorter than the content)."""
    return len(rdata.txt_presentation(rec.value)) if rec.type == "TXT" else len(rec.value)


def check_set(records: Sequence[Record]) -> Diagnostic | None:
    """The records of one name (any types) against the combined content limit of each name and type;
    the error points at the record that goes past it."""
    totals: dict[str, int] = {}
    crossing: dict[str, Record] = {}
    for rec in records:
        total = totals[rec.type] = totals.get(rec.type, 0) + content_chars(rec)
        if total > SET_CONTENT_CHARS.value:
            crossing.setdefault(rec.type, rec)
    for rtype, rec in crossing.items():
        return Diagnostic(
            "error",
            _where(rec),
            f"the {rtype} records at {rec.name} hold {totals[rtype]:,} characters of content together: "
            f"Cloudflare refuses more than {SET_CONTENT_CHARS.value:,} for one name and type; remove or "
            "shorten some",
        )
    return None
