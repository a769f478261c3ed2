"""Cloudflare DNSSEC through the official SDK: read a zone's state (`dns.dnssec.get`, `GET /zones/{id}/dnssec`)
and turn signing on or off (`dns.dnssec.edit(status="active"|"disabled")`, `PATCH`). The model is
`zonesync.plan.dnssec`.

The answer is checked before it becomes a model value: `status` one of Cloudflare's five, and while a DS
exists its fields agree with each other (the `ds` text parsed by dnspython, its owner the zone, its key tag,
algorithm, digest type and digest those of the separate fields). The DS text zonesync shows is rebuilt from
the checked values, so nothing unchecked from the network is ever printed. A 403 with code 10000 or 9109
names the permission the token lacks (`zonesync.plan.dnssec.PERMISSION`).
"""

from __future__ import annotations

import re
from typing import Any, Literal

import cloudflare
import dns.exception
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.DS

from zonesync.cloudflare import schema
from zonesync.errors import ApiError
from zonesync.plan.dnssec import PERMISSION, STATUSES, DnssecState, DsRecord

_HEX = re.compile(r"^[0-9A-Fa-f]{2,128}$")


def describe(exc: Exception, zone: str, what: str) -> str:
    """One line for a failed DNSSEC call, naming the permission when Cloudflare refused the token."""
    from zonesync.cloudflare.answers import describe_api_error

    line = f"{zone}: {what}: {describe_api_error(exc)}"
    if isinstance(exc, cloudflare.APIStatusError) and exc.status_code == 403:
        body = exc.body if isinstance(exc.body, dict) else {}
        codes = {e.get("code") for e in body.get("errors") or [] if isinstance(e, dict)}
        if codes & {10000, 9109}:
            line += (
                f" — the API token lacks the {PERMISSION} permission on this zone (Zone › DNS › Edit in the "
                "dashboard's token editor), which `dnssec:` in the zone file needs"
            )
    return line


def parse_state(zone: str, result: Any) -> DnssecState:
    """Cloudflare's DNSSEC object -> DnssecState. Raises schema.AnswerError naming what was wrong."""
    if not isinstance(result, dict):
        raise schema.AnswerError("the DNSSEC answer's `result` is not an object")
    status = result.get("status")
    if status not in STATUSES:
        raise schema.AnswerError(f"DNSSEC `status` is {str(status)[:40]!r}, not one of {', '.join(STATUSES)}")
    modified = result.get("modified_on")
    if modified is not None and (not isinstance(modified, str) or len(modified) > 40):
        raise schema.AnswerError("DNSSEC `modified_on` is not a timestamp")
    ds_text = result.get("ds")
    if ds_text in (None, ""):
        return DnssecState(status, None, modified)
    return DnssecState(status, _ds(zone, result), modified)


def _ds(zone: str, result: dict[str, Any]) -> DsRecord:
    text = result.get("ds")
    if not isinstance(text, str) or len(text) > 400:
        raise schema.AnswerError("DNSSEC `ds` is not a DS record")
    tokens = text.split()
    upper = [t.upper() for t in tokens]
    if "DS" not in upper or tokens[0].rstrip(".").lower() != zone:
        raise schema.AnswerError(f"DNSSEC `ds` is not a DS record of {zone}")
    at = upper.index("DS")
    try:
        rd = dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.DS, " ".join(tokens[at + 1 :]))
    except (dns.exception.DNSException, ValueError):
        raise schema.AnswerError("DNSSEC `ds` does not parse as a DS record") from None
    assert isinstance(rd, dns.rdtypes.ANY.DS.DS)  # what from_text builds for the DS type
    ttl = tokens[1] if at >= 2 and tokens[1].isdigit() else "3600"
    digest = rd.digest.hex()
    fields = {
        "key_tag": rd.key_tag,
        "algorithm": rd.algorithm,
        "digest_type": rd.digest_type,
    }
    for name, value in fields.items():
        given = result.get(name)
        if given is not None and str(given).split(".")[0] != str(int(value)):
            raise schema.AnswerError(f"DNSSEC `{name}` ({str(given)[:20]!r}) disagrees with the `ds` record")
    given_digest = result.get("digest")
    if isinstance(given_digest, str) and (not _HEX.match(given_digest) or given_digest.lower() != digest):
        raise schema.AnswerError("DNSSEC `digest` disagrees with the `ds` record")
    canonical = f"{zone}. {int(ttl)} IN DS {fields['key_tag']} {int(fields['algorithm'])} {fields['digest_type']} {digest}"
    return DsRecord(fields["key_tag"], int(fields["algorithm"]), fields["digest_type"], digest, canonical)


class DnssecProvider:
    """DNSSEC calls on the run's SDK client (same auth, retries, rate limiting, logging)."""

    def __init__(self, client: cloudflare.Cloudflare) -> None:
        self._client = client

    def _answer(self, response: Any, zone: str) -> DnssecState:
        from zonesync.cloudflare.answers import read_answer

        try:
            body = read_answer(response.http_response)
            schema.check_envelope(body)
            return parse_state(zone, body.get("result"))
        except schema.AnswerError as exc:
            raise ApiError(f"{zone}: a bad DNSSEC answer from Cloudflare: {exc}") from None

    def read(self, zone_id: str, zone: str) -> DnssecState:
        """The zone's DNSSEC state. Raises ApiError (with the permission when refused)."""
        try:
            response = self._client.dns.dnssec.with_raw_response.get(zone_id=zone_id)
        except cloudflare.APIError as exc:
            raise ApiError(describe(exc, zone, "reading DNSSEC")) from None
        return self._answer(response, zone)

    def set(self, zone_id: str, zone: str, enable: bool) -> DnssecState:
        """Turn signing on (`status: active`) or off (`disabled`); the state Cloudflare answers with. Raises
        ApiError; a write whose outcome is unknown (no answer) is settled by reading the state back."""
        status: Literal["active", "disabled"] = "active" if enable else "disabled"
        try:
            response = self._client.dns.dnssec.with_raw_response.edit(zone_id=zone_id, status=status)
        except cloudflare.APIStatusError as exc:
            raise ApiError(describe(exc, zone, f"setting DNSSEC to {status}")) from None
        except cloudflare.APIError:
            return self.read(zone_id, zone)  # no answer: what is live says whether it landed
        return self._answer(response, zone)
