"""`mail.dane:`, parsed: per MX host, the pins of the key its server uses now (`current`) and will use after the
next key change (`next`), and optionally the certificate or key file the server reads (`file`). Pure: no I/O.

    mail:
      dane:
        mx:                     # an MX host, relative to the zone or absolute with a trailing dot
          current: 3b1f...      # SHA-256 of the key's SubjectPublicKeyInfo (`zonesync dane pin mx` writes it)
          next: 9c04...         # the next key's pin, published before the server switches to it
          file: /etc/letsencrypt/live/mx.example.com/fullchain.pem
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zonesync.errors import ZoneFileError
from zonesync.mail.tlsa import pin_problem
from zonesync.model import Source
from zonesync.zonefile.yaml_lines import LineDict, check_keys, type_name

DANE_HOST_KEYS = ("current", "next", "file")


@dataclass(frozen=True)
class DaneHost:
    host: str
    """The MX host, absolute, lower-case, no trailing dot."""
    in_zone: bool
    current: str | None
    next: str | None
    file: Path | None
    """The certificate or key file the server uses (resolved against the zone file's folder)."""
    source: Source

    @property
    def pins(self) -> tuple[str, ...]:
        """The recorded pins, current first, without repeats."""
        return tuple(dict.fromkeys(p for p in (self.current, self.next) if p))


def parse_dane(
    value: Any, src: Source, base_dir: Path, host_name: Callable[[Any, Source], tuple[str, bool]]
) -> tuple[DaneHost, ...]:
    """The raw `mail.dane` mapping -> one DaneHost per host; ZoneFileError at the offending line.

    `host_name` reads a host as written (relative to the zone, or absolute) -> (absolute name, in the zone?).
    """
    if not isinstance(value, LineDict):
        raise ZoneFileError(
            src, f"must be a mapping of MX host -> {{current, next, file}}, not {type_name(value)}"
        )
    out = []
    for key, body in value.items():
        field = f"mail.dane.{key}"
        hsrc = src.at(field, value.line_of(key))
        host, inside = host_name(key, hsrc)
        if body is None:
            body = LineDict()
            body.line, body.key_lines = hsrc.line or 0, {}
        if not isinstance(body, LineDict):
            raise ZoneFileError(hsrc, f"must be a mapping {{current, next, file}}, not {type_name(body)}")
        check_keys(body, DANE_HOST_KEYS, hsrc, field)

        def at(k: str, body: LineDict = body, hsrc: Source = hsrc, field: str = field) -> Source:
            return hsrc.at(f"{field}.{k}", body.line_of(k) if k in body else hsrc.line)

        pins: dict[str, str | None] = {}
        for k in ("current", "next"):
            pin = body.get(k)
            if pin is not None:
                problem = pin_problem(pin)
                if problem:
                    raise ZoneFileError(at(k), f"{problem}, not {pin!r}")
                pin = pin.strip().lower()
            pins[k] = pin
        path = None
        if "file" in body:
            text = body["file"]
            if not isinstance(text, str) or not text.strip():
                raise ZoneFileError(at("file"), f"must be a file path, not {type_name(text)}")
            path = Path(text.strip()).expanduser()
            path = path if path.is_absolute() else base_dir / path
        if not pins["current"] and not pins["next"] and path is None:
            raise ZoneFileError(
                hsrc,
                f"has no pin and no file: run `zonesync dane pin {host}` to record the key the server uses, "
                "or give `file:` (its certificate or key)",
            )
        if pins["next"] and not pins["current"] and path is None:
            raise ZoneFileError(at("next"), "a `next` pin needs the `current` one beside it")
        out.append(DaneHost(host, inside, pins["current"], pins["next"], path, hsrc))
    return tuple(out)
