"""Cloudflare's answers read and described: the envelope parsed as it arrives, API errors in one line."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import cloudflare
import httpx

from zonesync.cloudflare import schema
from zonesync.cloudflare.jsonstream import InvalidJSON, Streamed, parse_object


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


def read_answer(response: httpx.Response, on_item: Callable[[Any], None] | None = None) -> dict[str, Any]:
    """The answer's envelope, parsed as it arrives; each element of a `result` list goes to `on_item`
    (the envelope then holds their count) or, without `on_item`, stays in the envelope. Raises
    AnswerError for a body that is not one JSON object; httpx errors (cut off, deadline) pass."""
    items: list[Any] = []
    try:
        body = parse_object(response.iter_bytes(), "result", on_item or items.append)
    except InvalidJSON as exc:
        raise schema.AnswerError(str(exc)) from None
    finally:
        response.close()
    if on_item is None and isinstance(body.get("result"), Streamed):
        body["result"] = items
    return body
