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


PIECE = 8
"""A run of this many characters of a secret is masked wherever it appears (a server quoting most of a token,
an error cutting it at a line break)."""
MIN_PART = 6
"""A whitespace-separated part of a secret this long or longer is masked on its own too."""


def scrub(text: str, secrets: Iterable[str] | None = None) -> str:
    """`text` without header values (`Authorization: ...`, `Bearer ...`) or any of `secrets` (default: the
    tokens and plan key of the environment): every run of `PIECE` or more consecutive characters of a secret
    (also as Python would print it, `\\n` escaped, and each whitespace-separated part of `MIN_PART` or more
    characters) is masked, so a message quoting part of one shows none of it.
    A secret shorter than `PIECE` is masked only where it stands alone (not inside a longer word), so that a
    short value cannot turn the scrubber into a leak of where its letters are ("S[redacted]ved")."""
    # re.sub compiles each pattern once, on the first message scrubbed (most runs print none to stderr)
    text = re.sub(_HEADER, lambda m: m.group(1) + REDACTED, text)
    text = re.sub(_BEARER, lambda m: m.group(1) + REDACTED, text)
    pieces: set[str] = set()
    short: set[str] = set()
    for secret in secrets_from_env() if secrets is None else secrets:
        parts = [p for p in secret.split() if len(p) >= MIN_PART]  # an error may cut it at a line break
        for form in {secret, secret.strip(), repr(secret)[1:-1], *parts}:
            if len(form) >= PIECE:
                pieces.update(form[i : i + PIECE] for i in range(len(form) - PIECE + 1))
            elif form.strip():
                short.add(form)
    if pieces:
        text = _mask_pieces(text, pieces)
    for form in sorted(short, key=len, reverse=True):
        text = re.sub(rf"(?<![\w-]){re.escape(form)}(?![\w-])", REDACTED, text)
    return text


def _mask_pieces(text: str, pieces: set[str]) -> str:
    """`text` with every stretch covered by windows found in `pieces` replaced by one REDACTED."""
    covered_until = -1
    spans: list[list[int]] = []
    for i in range(len(text) - PIECE + 1):
        if text[i : i + PIECE] in pieces:
            if spans and i <= covered_until:
                spans[-1][1] = i + PIECE
            else:
                spans.append([i, i + PIECE])
            covered_until = i + PIECE
    out, last = [], 0
    for start, end in spans:
        out += [text[last:start], REDACTED]
        last = end
    out.append(text[last:])
    return "".join(out)
