"""Cloudflare's answers read and described: the envelope parsed and checked as JSON, API errors in one line."""

from __future__ import annotations

import json
from typing import Any

import cloudflare
import httpx

from zonesync.cloudflare import schema


def describe_api_error(exc: Exception) -> str:
    """One line from an SDK exception: HTTP status, Cloudflare's codes and messages, never headers/tokens."""
    if isinstance(exc, cloudflare.APIStatusError):
        parts = []
        body = exc.body if isinstance(exc.body, dict) else {}
        errors = body.get("errors")
        for err in errors if isinstance(errors, list) else []:
            if not isinstance(err, dict):
                continue
            text = f"{err.get('code')} {err.get('message', '')}".strip()
            chain = err.get("error_chain")
            chain = [
                f"{c.get('code')} {c.get('message', '')}".strip()
                for c in (chain if isinstance(chain, list) else [])
                if isinstance(c, dict)
            ]
            parts.append(text + (f" ({'; '.join(chain)})" if chain else ""))
        detail = "; ".join(parts) or exc.message
        if len(detail) > 200:
            detail = detail[:197] + "..."
        return f"HTTP {exc.status_code}: {detail}"
    if isinstance(exc, cloudflare.APITimeoutError):
        return "no answer from the Cloudflare API in time"
    if isinstance(exc, cloudflare.APIConnectionError):
        cause = exc.__cause__ or exc
        return f"cannot reach the Cloudflare API: {type(cause).__name__}: {cause}"
    if isinstance(exc, httpx.TimeoutException):
        return f"the answer did not arrive in time ({exc})"
    if isinstance(exc, httpx.TransportError):
        return f"the answer was cut off: {type(exc).__name__}: {exc}"
    return f"{type(exc).__name__}: {exc}"


def _describe_bad(exc: Exception) -> str:
    return str(exc) if isinstance(exc, schema.AnswerError) else describe_api_error(exc)


def _auth_hint(exc: Exception, token_env: str) -> str:
    """What to check when Cloudflare refused the token, naming the variable that held it."""
    if isinstance(exc, cloudflare.APIStatusError) and exc.status_code in (400, 401, 403):
        body = exc.body if isinstance(exc.body, dict) else {}
        errors = body.get("errors")
        codes = {e.get("code") for e in (errors if isinstance(errors, list) else []) if isinstance(e, dict)}
        if codes & {9106, 6003, 9109, 10000, 6111}:
            return f" — check {token_env} (it needs Zone:Read and DNS:Edit on this zone)"
    return ""


_JSON_STARTS = frozenset('{["-0123456789tfn')
_KINDS = {list: "a JSON list", type(None): "JSON null", str: "a JSON string", bool: "a JSON boolean"}


def _members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise schema.AnswerError(f"not valid JSON: member {key!r} appears twice")
            seen.add(key)
    return obj


def read_answer(response: httpx.Response) -> dict[str, Any]:
    """The answer's body as one JSON object (UTF-8, no member twice in an object), read whole.

    Raises AnswerError for a body that is not one JSON object; httpx errors (cut off, deadline) pass."""
    try:
        raw = response.read()
    finally:
        response.close()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise schema.AnswerError(f"not valid JSON: not UTF-8 text ({exc.reason})") from None
    start = text.lstrip(" \t\n\r")
    if not start:
        raise schema.AnswerError("the body is empty")
    if start[0] not in _JSON_STARTS:
        raise schema.AnswerError(f"the body is not JSON (it starts with {start[:20]!r})")
    try:
        body = json.loads(text, object_pairs_hook=_members)
    except json.JSONDecodeError as exc:
        raise schema.AnswerError(f"not valid JSON: {exc.msg} at character {exc.pos}") from None
    if not isinstance(body, dict):
        kind = _KINDS.get(type(body), "a JSON number")
        raise schema.AnswerError(f"the body is {kind}, not a JSON object")
    return body
