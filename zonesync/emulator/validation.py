"""Cloudflare's checks on a DNS record create/update, with Cloudflare's codes (facts table rows in brackets).

``build`` turns a request body (POST/PUT, or a PATCH merged over the stored record) into validated record
fields; ``check_conflicts`` applies the same-name rules against the records already at that name.
TTL range: docs ``dns/manage-dns-records/reference/ttl.mdx`` (1 = auto, 60..86400, 30.. on Enterprise).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from . import errors
from .records import (
    COMMENT_MAX_FREE,
    COMMENT_MAX_PAID,
    PRIORITY_TYPES,
    PROXIABLE,
    TXT_NAME_MAX,
    TYPES,
    fqdn,
    identity,
    is_hostname,
    normalize_content,
)

FIELDS = ("type", "name", "content", "data", "priority", "ttl", "proxied", "comment", "tags", "settings")


def editable_fields(rec: dict[str, Any]) -> dict[str, Any]:
    """The request-shaped fields of a stored record: the base a PATCH is merged onto."""
    base = {k: rec[k] for k in ("type", "name", "content", "ttl", "proxied", "comment", "tags", "settings")}
    if "priority" in rec:
        base["priority"] = rec["priority"]
    return base


def merge_patch(rec: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    """PATCH semantics: fields in ``body`` replace the stored ones; ``data`` replaces ``content``."""
    merged = editable_fields(rec)
    if "data" in body and "content" not in body:
        merged.pop("content", None)
    merged.update({k: v for k, v in body.items() if k in FIELDS})
    return merged


def build(zone: str, plan: str, body: Any) -> dict[str, Any]:
    """Validated record fields (name expanded, content/data derived, defaults applied)."""
    if not isinstance(body, dict):
        raise errors.ApiError(400, errors.BAD_BODY, errors.BAD_BODY_MSG)
    rtype = body.get("type")
    if rtype is None or rtype == "":
        raise errors.required("type")
    if not isinstance(rtype, str) or rtype.upper() not in TYPES:
        raise errors.validation(errors.INVALID_TYPE, "DNS record type is invalid.")
    rtype = rtype.upper()
    name = body.get("name")
    if name is None:
        raise errors.required("name")
    if not isinstance(name, str):
        raise errors.validation(errors.INVALID_CONTENT, "DNS record name is invalid.")
    name = fqdn(name, zone)
    if not is_hostname(name, wildcard=True):
        raise errors.validation(errors.INVALID_CONTENT, "DNS record name is invalid.")

    content, data, priority = normalize_content(
        rtype, body.get("content"), body.get("data"), body.get("priority")
    )

    proxied = body.get("proxied")
    if proxied is None:
        proxied = False
    if not isinstance(proxied, bool):
        raise errors.ApiError(400, errors.BAD_BODY, errors.BAD_BODY_MSG)
    if proxied and rtype not in PROXIABLE:
        raise errors.validation(errors.NOT_PROXIABLE, errors.NOT_PROXIABLE_MSG)

    ttl = body.get("ttl", 1)
    if ttl is None:
        ttl = 1
    low = 30 if plan == "enterprise" else 60
    if isinstance(ttl, bool) or not isinstance(ttl, int | float) or int(ttl) != ttl:
        raise errors.validation(errors.BAD_TTL, errors.BAD_TTL_MSG.format(low=low))
    ttl = int(ttl)
    if ttl != 1 and not low <= ttl <= 86400:
        raise errors.validation(errors.BAD_TTL, errors.BAD_TTL_MSG.format(low=low))
    if proxied:
        ttl = 1  # proxied records always have automatic TTL

    comment = body.get("comment")
    if comment == "":
        comment = None
    if comment is not None and not isinstance(comment, str):
        raise errors.ApiError(400, errors.BAD_BODY, errors.BAD_BODY_MSG)
    if comment is not None:
        _check_comment(comment, plan)
    tags = body.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise errors.ApiError(400, errors.BAD_BODY, errors.BAD_BODY_MSG)
    for tag in tags:
        if not _TAG_NAME.fullmatch(tag.split(":", 1)[0]) or "\n" in tag or "\r" in tag:
            raise errors.validation(errors.BAD_TAG, errors.BAD_TAG_MSG.format(tag=tag))
    settings = body.get("settings") or {}
    if not isinstance(settings, dict):
        raise errors.ApiError(400, errors.BAD_BODY, errors.BAD_BODY_MSG)

    fields: dict[str, Any] = {
        "name": name,
        "type": rtype,
        "content": content,
        "proxiable": rtype in PROXIABLE,
        "proxied": proxied,
        "ttl": ttl,
        "settings": settings,
        "comment": comment,
        "tags": list(tags),
    }
    if rtype in PRIORITY_TYPES:
        fields["priority"] = priority
    if data is not None:
        fields["data"] = data
    return fields


_TAG_NAME = re.compile(r"[A-Za-z0-9_-]+")
"""Record attributes docs: tag names hold only letters, numbers, `-` and `_`."""


def _check_comment(comment: str, plan: str) -> None:
    """Record attributes docs: no line break; at most 100 characters on Free, 500 on paid plans."""
    if "\n" in comment or "\r" in comment:
        raise errors.validation(errors.BAD_COMMENT, errors.BAD_COMMENT_MSG)
    limit = COMMENT_MAX_FREE if plan == "free" else COMMENT_MAX_PAID
    if len(comment) > limit:
        raise errors.validation(errors.COMMENT_TOO_LONG, errors.COMMENT_TOO_LONG_MSG.format(limit=limit))


def check_conflicts(zone: str, rec: dict[str, Any], others: Iterable[dict[str, Any]]) -> None:
    """Same-name rules against ``others`` (the other records at ``rec['name']``, ``rec`` itself excluded)."""
    others = list(others)
    if not others:
        return
    ident = identity(rec)
    for other in others:
        if identity(other) == ident:
            raise errors.ApiError(400, errors.IDENTICAL_RECORD, errors.IDENTICAL_RECORD_MSG)
    rtype = rec["type"]
    present = {o["type"] for o in others}
    if rtype == "CNAME":
        raise errors.ApiError(400, errors.CNAME_CONFLICT, errors.CNAME_CONFLICT_MSG)
    if "CNAME" in present:
        raise errors.ApiError(400, errors.CNAME_EXISTS, errors.CNAME_EXISTS_MSG)
    if rec["name"] != zone:
        if rtype == "NS" and present - {"NS", "DS"}:
            raise errors.ApiError(400, errors.NS_BESIDE_OTHERS, errors.NS_BESIDE_OTHERS_MSG)
        if rtype not in ("NS", "DS") and "NS" in present:
            raise errors.ApiError(400, errors.NS_CONFLICT, errors.NS_CONFLICT_MSG)
    total = len(rec["content"]) + sum(len(o["content"]) for o in others if o["type"] == rtype)
    if total > TXT_NAME_MAX:
        raise errors.validation(
            errors.TXT_TOO_LONG,
            f"The combined content of {rtype} records at {rec['name']} exceeds {TXT_NAME_MAX} characters.",
        )


def is_read_only(rec: dict[str, Any]) -> bool:
    """Records Cloudflare or an app manages (``meta.read_only`` / ``meta.managed_by_apps``) refuse edits."""
    meta = rec.get("meta") or {}
    return bool(meta.get("read_only") or meta.get("managed_by_apps"))
