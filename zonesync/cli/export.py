"""`zonesync export ZONE`: Cloudflare's own BIND export of the live zone."""

from __future__ import annotations

from pathlib import Path

import click

from zonesync.cli import Command, verbose_option
from zonesync.errors import ZonesyncError


@click.command("export", cls=Command)
@click.argument("zone")
@click.option(
    "-o",
    "--out",
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
    default="-",
    show_default=True,
    help="Where to write the BIND file ('-' for stdout).",
)
@verbose_option
@click.pass_context
def export(ctx: click.Context, zone: str, out: Path) -> None:
    """Print ZONE as Cloudflare's export writes it (the API's `dns_records/export`): a BIND zone file
    with the origin values of proxied records, each A, AAAA and CNAME marked `; cf_tags=cf-proxied:...`.
    As Cloudflare's header says, the SOA and NS lines need editing before another server loads it
    (docs/interop.md shows how the test layer serves it with Knot DNS). Reads only; needs Zone:Read."""
    from zonesync.cli import echo, run_settings
    from zonesync.run.session import find_zone, open_provider
    from zonesync.zonefile.names import zone_problem

    zone = zone.strip().rstrip(".").lower()
    problem = zone_problem(zone)
    if problem is not None:
        raise ZonesyncError(f"{zone!r} is not a zone name: {problem}")
    provider = open_provider([zone], run_settings(ctx))
    try:
        text = provider.export(find_zone(provider, zone))
    finally:
        provider.close()
    if str(out) == "-":
        echo(text, nl=False)
        return
    from zonesync.plan.saved_plan import write_text

    try:
        write_text(out, text)
    except OSError as exc:
        raise ZonesyncError(f"cannot write {out}: {exc.strerror or exc}") from None
    echo(f"Wrote {out}: the export of {zone}", err=True)
