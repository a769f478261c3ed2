"""`zonesync dane pin`: record an MX host's TLSA pin in the zone file (only click at module level)."""

from __future__ import annotations

import click

from zonesync.cli import Command, Group, echo


@click.group("dane", cls=Group)
def dane() -> None:
    """DANE for the MX hosts: record the pins `mail.dane` publishes as TLSA 3 1 1 records."""


@dane.command("pin", cls=Command)
@click.argument("mx_host")
@click.option(
    "--zone", "zone", metavar="ZONE", help="The zone file (zone name or path) [default: found in zones/]."
)
@click.option("--port", default=25, show_default=True, type=click.IntRange(1, 65535), help="The SMTP port.")
@click.option(
    "--connect-to",
    "connect_to",
    multiple=True,
    metavar="HOST:PORT:CONNECT_HOST:CONNECT_PORT",
    help="Reach HOST:PORT at another address (curl's meaning), e.g. from inside the server's network.",
)
@click.option(
    "--timeout", default=10.0, show_default=True, type=click.FloatRange(0.1, 120), help="Seconds per step."
)
@click.option(
    "--next",
    "next_file",
    type=click.Path(dir_okay=False, path_type=str),
    help="Record the key in this certificate or key file as the `next` pin instead (nothing is fetched).",
)
def pin(
    mx_host: str,
    zone: str | None,
    port: int,
    connect_to: tuple[str, ...],
    timeout: float,
    next_file: str | None,
) -> None:
    """Fetch MX_HOST's key once over STARTTLS and write its pin into `mail.dane` as `current` (or, with
    --next FILE, the next key's pin), keeping every other line of the zone file."""
    from pathlib import Path

    from zonesync.errors import ZonesyncError
    from zonesync.mail.dane_keys import read_file_pin
    from zonesync.mail.tlsa import KeyReadError, cert_spki, spki_pin
    from zonesync.run import dane_pin
    from zonesync.verify.connect import NetFailure, parse_connect_to
    from zonesync.verify.result import NetOptions
    from zonesync.verify.smtp import presented_certificate
    from zonesync.zonefile.load import load_zone_file

    host = mx_host.lower().rstrip(".")
    config = load_zone_file(dane_pin.zone_file_for(host, zone))
    existing = dane_pin.existing_entry(config, host)
    if next_file is not None:
        try:
            change = dane_pin.next_change(existing, read_file_pin(next_file), Path(next_file))
        except (OSError, KeyReadError) as exc:
            why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise ZonesyncError(f"{next_file}: {why}") from None
    else:
        try:
            rules = tuple(parse_connect_to(c) for c in connect_to)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--connect-to") from None
        try:
            der = presented_certificate(host, NetOptions(timeout=timeout, connect_to=rules), port)
        except NetFailure as failure:
            raise ZonesyncError(f"cannot read the key of {host}: {failure.message}") from None
        change = dane_pin.pin_change(existing, spki_pin(cert_spki(der)))
    if change.changed:
        dane_pin.record_pins(config, host, change)
    echo(f"{host}: {change.message}" + (f" ({config.path})" if change.changed else ""))
