"""The API token: checked before it is used, and kept out of every message zonesync prints.

An HTTP header value is printable ASCII (RFC 9110 §5.5); httpx refuses anything else with an error that
quotes the whole header — `Illegal header value b'Bearer <token>'` — so a token pasted with a newline or
a space used to end up on the screen and in CI logs. Cloudflare's tokens are 40 characters of
`[A-Za-z0-9_-]`; zonesync checks only what any token must be (printable ASCII, no whitespace) and says
where the bad character is, never what the token is.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable

from zonesync.errors import ZonesyncError

TOKEN_ENV = "CLOUDFLARE_API_TOKEN"
REDACTED = "[redacted]"


class TokenError(ZonesyncError):
    """The token cannot be sent (exit 1); the message never holds the token."""


def _describe(char: str) -> str:
    if char == "\n" or char == "\r":
        return "a line break"
    if char.isspace():
        return "a space" if char == " " else "whitespace"
    if not char.isascii():
        return "a non-ASCII character"
    return "a control character"


_IN_USE: set[str] = set()
"""Every token this process checked (one per account with an accounts file): `scrub` removes them all."""


def check_token(token: str, env: str = TOKEN_ENV) -> str:
    """The token with surrounding whitespace removed (a pasted trailing newline), if it can be sent."""
    token = token.strip()
    if not token:
        raise TokenError(
            f"{env} is not set: create an API token with Zone:Read and DNS:Edit permissions at Cloudflare "
            "and export it"
        )
    for position, char in enumerate(token, 1):
        if not "!" <= char <= "~":
            raise TokenError(
                f"{env} holds {_describe(char)} (character {position} of {len(token)}): an API token is "
                "printable ASCII without spaces; copy it again from Cloudflare's dashboard "
                "(the value is not shown)"
            )
    _IN_USE.add(token)
    return token


_HEADER = (
    r"(?i)(\b(?:authorization|x-auth-key|x-auth-email|cf-access-client-secret)\b['\"]?\s*[:=,]\s*"
    r"(?:b?['\"])?(?:bearer\s+)?)(?!\[redacted\])[^'\"\s,})\]]+"
)
_BEARER = r"(?i)\b(bearer\s+)(?!\[redacted\])[^'\"\s,})\]]+"


def secrets_from_env() -> list[str]:
    """The secrets zonesync may hold: the API tokens (the default one and every one checked) and the plan key."""
    found = (os.environ.get(TOKEN_ENV), os.environ.get("ZONESYNC_PLAN_KEY"), *_IN_USE)
    return [value for value in found if value]


def scrub(text: str, secrets: Iterable[str] | None = None) -> str:
    """`text` without header values (`Authorization: ...`, `Bearer ...`) or any of `secrets` (default: the
    token and plan key of the environment) — also as Python would print them (`\\n` escaped) and each
    whitespace-separated part of one, in case an error cut it at a line break."""
    # re.sub compiles each pattern once, on the first message scrubbed (most runs print none to stderr)
    text = re.sub(_HEADER, lambda m: m.group(1) + REDACTED, text)
    text = re.sub(_BEARER, lambda m: m.group(1) + REDACTED, text)
    for secret in secrets_from_env() if secrets is None else secrets:
        forms = {secret, secret.strip(), repr(secret)[1:-1], *(p for p in secret.split() if len(p) >= 6)}
        for form in sorted((f for f in forms if f), key=len, reverse=True):
            text = text.replace(form, REDACTED)
    return text
