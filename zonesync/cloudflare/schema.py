"""Cloudflare's answers checked against the API's schema before anything becomes a model value. Pure.

The schema is the one the official SDK is generated from (`cloudflare/types/dns/record_response.py`,
`types/zones/zone.py`, the v4 envelope and `result_info`): fields the SDK types as required must be present
and not null, optional ones may be absent or null, and every value present has its type: nothing is
coerced (`"proxied": "false"` is an error, not `True`). A paginated listing is checked as a whole too:
pages must agree with `result_info` and with each other, and a repeated id is an error, not a duplicate
to drop. Every error is one line saying what was wrong; the provider adds which zone and request.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


class AnswerError(ValueError):
    """An answer that does not match the API's schema (the message says what was wrong)."""


# -- types ----------------------------------------------------------------------------------------------


def _kind(value: Any) -> str:
    """How a JSON value is named in messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"the string {shown!r}"
    if isinstance(value, list):
        return "a list"
    return "an object"


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


_CHECKS = {
    "a string": lambda v: isinstance(v, str),
    "a boolean": lambda v: isinstance(v, bool),
    "an integer": is_int,
    "a number": is_number,
    "an object": lambda v: isinstance(v, dict),
    "a list of strings": lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v),
}


_EXACT = {"a string": str, "a boolean": bool, "an integer": int, "an object": dict}
"""Types JSON decodes to exactly (a bool is not an integer here), checked with one `type() is` test."""


def check_fields(obj: Mapping[str, Any], schema: Mapping[str, tuple[str, bool]], what: str) -> None:
    """Each (field -> (type, required)) of `schema` in `obj`; extra fields are allowed, as in the API."""
    for name, (expected, required) in schema.items():
        value = obj.get(name)
        if value is None:
            if required:
                raise AnswerError(f"{what}: `{name}` is {'null' if name in obj else 'missing'}")
            continue
        exact = _EXACT.get(expected)
        if type(value) is not exact if exact is not None else not _CHECKS[expected](value):
            raise AnswerError(f"{what}: `{name}` is {_kind(value)}, not {expected}")


# -- envelope -------------------------------------------------------------------------------------------


def check_envelope(body: Mapping[str, Any]) -> None:
    """`success: true` and a well-formed `errors` list; a failure names Cloudflare's codes."""
    success = body.get("success")
    if success is True:
        return
    if success is False:
        errors = body.get("errors")
        codes = [
            f"{e.get('code')} {e.get('message', '')}".strip()
            for e in (errors if isinstance(errors, list) else [])
            if isinstance(e, dict)
        ]
        raise AnswerError("HTTP 200 but `success` is false" + (f" ({'; '.join(codes)})" if codes else ""))
    raise AnswerError(f"`success` is {_kind(success) if 'success' in body else 'missing'}, not true")


def result_of(body: Mapping[str, Any], expected: str) -> Any:
    """`result`, which must be `expected` ("a list" or "an object")."""
    result = body.get("result")
    ok = isinstance(result, list) if expected == "a list" else isinstance(result, dict)
    if not ok:
        found = _kind(result) if "result" in body else "missing"
        raise AnswerError(f"`result` is {found}, not {expected}")
    return result


# -- pagination -----------------------------------------------------------------------------------------

_RESULT_INFO = {
    name: ("an integer", True) for name in ("page", "per_page", "count", "total_count", "total_pages")
}


@dataclass(frozen=True, slots=True)
class ResultInfo:
    page: int
    per_page: int
    count: int
    total_count: int
    total_pages: int


def result_info(body: Mapping[str, Any]) -> ResultInfo:
    info = body.get("result_info")
    if not isinstance(info, dict):
        raise AnswerError(
            f"`result_info` is {_kind(info) if 'result_info' in body else 'missing'}, not an object"
        )
    check_fields(info, _RESULT_INFO, "result_info")
    values = ResultInfo(**{k: info[k] for k in _RESULT_INFO})
    for name in ("page", "per_page"):
        if getattr(values, name) < 1:
            raise AnswerError(f"result_info: `{name}` is {getattr(values, name)}, less than 1")
    for name in ("count", "total_count", "total_pages"):
        if getattr(values, name) < 0:
            raise AnswerError(f"result_info: `{name}` is {getattr(values, name)}, negative")
    return values


class Listing:
    """A paginated listing checked page by page and as a whole.

    The number of pages comes from the first page's `total_count` and `per_page`, never from
    `total_pages` alone, so a lying `total_pages` cannot make the client read forever: a listing takes
    at most ceil(total_count / per_page) requests, each of which must carry `per_page` items but the last.
    """

    def __init__(self, what: str) -> None:
        self.what = what
        self.first: ResultInfo | None = None
        self.received = 0
        self.ids: set[str] = set()

    @property
    def pages(self) -> int:
        """Pages the listing has, as its first page said (1 before it was read)."""
        if self.first is None:
            return 1
        return max(1, math.ceil(self.first.total_count / self.first.per_page))

    def item_id(self, item_id: str, page: int) -> None:
        """An item's id: an id seen before means pages overlap or the answer repeats a record."""
        if item_id in self.ids:
            raise AnswerError(f"{self.what}, page {page}: id {item_id} appears twice")
        self.ids.add(item_id)

    def page(self, page: int, info: ResultInfo, items: int) -> None:
        """Page `page` (asked for) held `items` items and said `info`."""
        where = f"{self.what}, page {page}"
        if info.page != page:
            raise AnswerError(f"{where}: the answer is page {info.page} (the page parameter was ignored?)")
        if info.count != items:
            raise AnswerError(f"{where}: result_info.count is {info.count} but the page holds {items} items")
        if self.first is None:
            self.first = info
            pages = self.pages
            if info.total_pages not in (pages, 0 if info.total_count == 0 else pages):
                raise AnswerError(
                    f"{where}: total_pages is {info.total_pages}, but total_count {info.total_count} "
                    f"at per_page {info.per_page} makes {pages}"
                )
        else:
            for name in ("per_page", "total_count", "total_pages"):
                if getattr(info, name) != getattr(self.first, name):
                    raise AnswerError(
                        f"{where}: {name} is {getattr(info, name)}, but page 1 said "
                        f"{getattr(self.first, name)} (the listing changed while it was read?)"
                    )
        first = self.first
        expected = max(0, min(first.per_page, first.total_count - (page - 1) * first.per_page))
        if items != expected:
            raise AnswerError(
                f"{where}: holds {items} items, but total_count {first.total_count} at per_page "
                f"{first.per_page} means {expected} on this page"
            )
        self.received += items

    def done(self) -> None:
        """After the last page: everything `total_count` announced arrived."""
        assert self.first is not None
        if self.received != self.first.total_count:
            raise AnswerError(
                f"{self.what}: {self.received} items arrived, but total_count is {self.first.total_count}"
            )


# -- records --------------------------------------------------------------------------------------------

_RECORD = {
    "id": ("a string", True),
    "name": ("a string", True),
    "type": ("a string", True),
    "ttl": ("an integer", True),
    "content": ("a string", False),
    "proxied": ("a boolean", False),
    "proxiable": ("a boolean", False),
    "locked": ("a boolean", False),
    "priority": ("an integer", False),
    "comment": ("a string", False),
    "tags": ("a list of strings", False),
    "meta": ("an object", False),
    "settings": ("an object", False),
    "data": ("an object", False),
    "created_on": ("a string", False),
    "modified_on": ("a string", False),
}
"""A DNS record (`RecordResponse`): TTL and priority are integers in DNS (RFC 1035), though the SDK
types them as float."""

_META_FLAGS = ("read_only", "auto_added", "managed_by_apps", "managed_by_argo_tunnel", "email_routing")
_META = dict.fromkeys(_META_FLAGS, ("a boolean", False))

_INT, _NUM, _STR = ("an integer", False), ("a number", False), ("a string", False)
_DATA: dict[str, dict[str, tuple[str, bool]]] = {
    "SRV": {"priority": _INT, "weight": _INT, "port": _INT, "target": _STR},
    "CAA": {"flags": _INT, "tag": _STR, "value": _STR},
    "TLSA": {"usage": _INT, "selector": _INT, "matching_type": _INT, "certificate": _STR},
    "SMIMEA": {"usage": _INT, "selector": _INT, "matching_type": _INT, "certificate": _STR},
    "SSHFP": {"algorithm": _INT, "type": _INT, "fingerprint": _STR},
    "LOC": {
        **dict.fromkeys(("lat_degrees", "lat_minutes", "long_degrees", "long_minutes"), _INT),
        **dict.fromkeys(
            ("lat_seconds", "long_seconds", "altitude", "size", "precision_horz", "precision_vert"), _NUM
        ),
        "lat_direction": _STR,
        "long_direction": _STR,
    },
    "CERT": {"type": _INT, "key_tag": _INT, "algorithm": _INT, "certificate": _STR},
    "DNSKEY": {"flags": _INT, "protocol": _INT, "algorithm": _INT, "public_key": _STR},
    "DS": {"key_tag": _INT, "algorithm": _INT, "digest_type": _INT, "digest": _STR},
    "NAPTR": {
        "order": _INT,
        "preference": _INT,
        **dict.fromkeys(("flags", "service", "regex", "replacement"), _STR),
    },
    "HTTPS": {"priority": _INT, "target": _STR, "value": _STR},
    "SVCB": {"priority": _INT, "target": _STR, "value": _STR},
    "URI": {"weight": _INT, "target": _STR},
}
"""`data` of the structured types, after the SDK's `cloudflare/types/dns/<type>_record.py`."""


MAX_TTL = 2**31 - 1
"""RFC 2181 §8; Cloudflare accepts 1 (automatic) or 30/60..86400 today, and once took up to this."""


def check_record(item: Any, index: int, zone: str) -> dict[str, Any]:
    """One element of zone `zone`'s dns_records listing; errors name the record id (or its index) and
    field. Besides types: a name inside the zone and a TTL DNS allows (a record outside the zone or with
    TTL 0 cannot exist at Cloudflare, and planned against it would become a delete or an update)."""
    if type(item) is not dict:
        raise AnswerError(f"record #{index + 1} of the listing is {_kind(item)}, not an object")
    check_fields(item, _RECORD, _record_what(item, index))
    if not item["id"]:
        raise AnswerError(f"{_record_what(item, index)}: `id` is empty")
    name = item["name"].rstrip(".").lower()
    if name != zone and not name.endswith("." + zone):
        raise AnswerError(f"{_record_what(item, index)}: `name` {item['name']!r} is not in zone {zone}")
    ttl = item["ttl"]
    if not (ttl == 1 or 30 <= ttl <= MAX_TTL):
        raise AnswerError(f"{_record_what(item, index)}: `ttl` is {ttl}, not 1 (automatic) or 30..{MAX_TTL}")
    meta = item.get("meta")
    if meta:
        check_fields(meta, _META, f"{_record_what(item, index)}: meta")
    data = item.get("data")
    if data:
        schema = _DATA.get(item["type"].upper())
        if schema:
            check_fields(data, schema, f"{_record_what(item, index)}: data")
    return item


def _record_what(item: dict[str, Any], index: int) -> str:
    rid = item.get("id")
    return f"record {rid}" if isinstance(rid, str) and rid else f"record #{index + 1} of the listing"


# -- zones ----------------------------------------------------------------------------------------------

_ZONE = {
    "id": ("a string", True),
    "name": ("a string", True),
    "account": ("an object", False),
    "plan": ("an object", False),
}


def check_zone(item: Any, index: int) -> dict[str, Any]:
    """One zone of a zone listing (`Zone`: id and name required; account and plan objects)."""
    if not isinstance(item, dict):
        raise AnswerError(f"zone #{index + 1} of the zone list is {_kind(item)}, not an object")
    name = item.get("name")
    what = f"zone {name}" if isinstance(name, str) and name else f"zone #{index + 1} of the zone list"
    check_fields(item, _ZONE, what)
    if not item["id"]:
        raise AnswerError(f"{what}: `id` is empty")
    if item.get("account"):
        check_fields(item["account"], {"id": ("a string", False)}, f"{what}: account")
    if item.get("plan"):
        check_fields(item["plan"], {"legacy_id": ("a string", False)}, f"{what}: plan")
    return item


# -- Workers --------------------------------------------------------------------------------------------

_WORKER_DOMAIN = {
    "id": ("a string", True),
    "hostname": ("a string", True),
    "service": ("a string", True),
    "zone_id": ("a string", False),
    "zone_name": ("a string", False),
    "environment": ("a string", False),
}
"""A Workers custom domain (`workers.domains.list`; facts W5): the three fields zonesync reads are required."""

_WORKER_SCRIPT = {"id": ("a string", True), "etag": ("a string", False), "tags": ("a list of strings", False)}
"""A script of `workers.scripts.list` (facts W3): `id` is the script's name."""


def check_worker_items(items: list[Any], kind: str) -> list[dict[str, Any]]:
    """The `result` of a Workers listing (`kind` "custom domain" or "script"): objects whose fields have
    the SDK's types, ids unique. The SDK builds its models from an answer without checking it (a
    `service` of null or 5 would pass into a plan), so zonesync reads these answers as JSON and checks
    them here."""
    schema = _WORKER_DOMAIN if kind == "custom domain" else _WORKER_SCRIPT
    checked, ids = [], set()
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise AnswerError(f"{kind} #{index + 1} is {_kind(item)}, not an object")
        check_fields(item, schema, f"{kind} #{index + 1}")
        if not item["id"]:
            raise AnswerError(f"{kind} #{index + 1}: `id` is empty")
        if item["id"] in ids:
            raise AnswerError(f"{kind} {item['id']} appears twice")
        ids.add(item["id"])
        checked.append(item)
    return checked


# -- batch ----------------------------------------------------------------------------------------------


def check_batch_result(body: Mapping[str, Any]) -> None:
    """A successful /dns_records/batch answer: `result` holds lists of records (`RecordBatchResponse`)."""
    check_envelope(body)
    result = result_of(body, "an object")
    for key in ("deletes", "patches", "puts", "posts"):
        value = result.get(key)
        if value is not None and not isinstance(value, list):
            raise AnswerError(f"result.{key} is {_kind(value)}, not a list")
