"""The pins `mail.dane` publishes for one MX host: the recorded ones, checked against the certificate or key
file the mail server uses when that file can be read here. Reads files; nothing else.

`plan` runs where port 25 and the server's files are often out of reach, so the pins recorded in the zone
file are what it publishes. When the file can be read, its key must be one of them: a key no TLSA record
names is the classic DANE outage after a renewal (senders hold the mail), so that plan is refused.
"""

from __future__ import annotations

from dataclasses import dataclass

from zonesync.mail.dane_spec import DaneHost
from zonesync.mail.tlsa import MAX_FILE_BYTES, KeyReadError, file_spki, spki_pin
from zonesync.model import Diagnostic


@dataclass(frozen=True)
class DanePins:
    host: DaneHost
    pins: tuple[str, ...]
    """What to publish, current first."""
    diagnostics: tuple[Diagnostic, ...] = ()
    file_pin: str | None = None
    """The pin of the key in `host.file`, when it could be read."""


def read_file_pin(path: object) -> str:
    """The pin of the key in a certificate or key file; OSError or KeyReadError (with the reason)."""
    from pathlib import Path

    with Path(str(path)).open("rb") as f:
        data = f.read(MAX_FILE_BYTES + 1)
    return spki_pin(file_spki(data)[0])


def resolve_pins(host: DaneHost, ttl: int) -> DanePins:
    """The pins to publish for `host`, with an error when its file's key is not among the recorded pins."""
    recorded = host.pins
    if host.file is None:
        return DanePins(host, recorded)
    try:
        pin = read_file_pin(host.file)
    except (OSError, KeyReadError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        if recorded:
            return DanePins(host, recorded)  # plan runs away from the server: the recorded pins are the truth
        return DanePins(
            host,
            (),
            (
                Diagnostic(
                    "error",
                    host.source.at(f"{host.source.field}.file"),
                    f"cannot read the key of {host.host} from {host.file}: {why}; record its pin with "
                    f"`zonesync dane pin {host.host}` so plan works without the file",
                ),
            ),
        )
    if not recorded:
        note = Diagnostic(
            "warning",
            host.source,
            f"the TLSA record of {host.host} follows the key in {host.file}: record its pin (`current: {pin}`, "
            f"or `zonesync dane pin {host.host}`) so a new key there cannot replace the record at once",
        )
        return DanePins(host, (pin,), (note,), pin)
    if pin == host.current:
        return DanePins(host, recorded, file_pin=pin)
    field = host.source.field
    if pin == host.next:
        return DanePins(
            host,
            recorded,
            (
                Diagnostic(
                    "warning",
                    host.source.at(f"{field}.next"),
                    f"{host.file} now holds the `next` key of {host.host}: once the server uses it, make it "
                    "`current` and drop the old pin (`zonesync dane pin` does), then record a new `next` "
                    "before the next key change",
                ),
            ),
            pin,
        )
    wait = 2 * max(ttl, 300)
    return DanePins(
        host,
        recorded,
        (
            Diagnostic(
                "error",
                host.source.at(f"{field}.file"),
                f"the key in {host.file} (pin {pin}) matches no recorded pin of {host.host} "
                f"({', '.join(recorded)}): when the server switches to it, senders using DANE hold the "
                f"mail. Publish it first: add `next: {pin}` under {field}, apply, wait {wait} s (twice the "
                "TTL) before the server uses the new key; or keep the old key (certbot --reuse-key)",
            ),
        ),
        pin,
    )
