"""CLI for `mail.relay`: `zonesync relay config ZONE` prints the mail server's side of the relay. Offline.

Only click is imported at module level; everything else inside the command.
"""

from __future__ import annotations

import click

from zonesync.cli import Group, echo

ZONE_HELP = "ZONE is a zone name (zones/<zone>.yaml) or a zone file path."


@click.group("relay", cls=Group)
def relay() -> None:
    """Outbound relay (smarthost) for when port 25 is blocked: the mail server's configuration."""


@relay.command("config", epilog=ZONE_HELP)
@click.argument("zone")
@click.option(
    "--server",
    type=click.Choice(["maddy", "postfix", "docker-mailserver", "stalwart", "mox"]),
    help="The mail server (default: the one `mail.preset` names).",
)
def relay_config(zone: str, server: str | None) -> None:
    """Print the smarthost configuration for ZONE's `mail.relay` (host, port, TLS, where the login goes)."""
    from zonesync.errors import ZonesyncError
    from zonesync.mail import mail_spec
    from zonesync.mail.relay_config import config_text, server_for
    from zonesync.zonefile.load import load_zone_file
    from zonesync.zonefile.locate import find_zone_file

    config = load_zone_file(find_zone_file(zone))
    spec = mail_spec(config)
    if spec is None or spec.relay is None:
        raise ZonesyncError(
            f"{config.path}: no `mail.relay:`: add one (provider: ses | mailgun | postmark | smtp2go | brevo | "
            "custom, see docs/relay.md)"
        )
    chosen = server or server_for(spec.preset)
    if chosen is None:
        raise ZonesyncError(
            f"{config.path}: zonesync prints no relay configuration for preset {spec.preset!r} yet: pass "
            "--server maddy | postfix | docker-mailserver | stalwart | mox"
        )
    echo(config_text(spec.relay, chosen), nl=False)
