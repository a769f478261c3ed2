"""`zonesync import ZONE`: write zones/<zone>.yaml from the live zone (or a BIND zone file)."""

from __future__ import annotations

from pathlib import Path

import click

from zonesync.base.plural import counted
from zonesync.cli import Command, verbose_option
from zonesync.cli.progress import no_progress_option, progress_line
from zonesync.errors import ZonesyncError


@click.command("import", cls=Command)
@click.argument("zone")
@click.option(
    "-o",
    "--out",
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
    help="Where to write the zone file ('-' for stdout) [default: zones/ZONE.yaml].",
)
@click.option(
    "--from-bind",
    "bind_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Import this BIND zone file (parsed by dnspython) instead of the live zone: no token needed.",
)
@click.option("--force", is_flag=True, help="Overwrite an existing zone file.")
@click.option(
    "--mail",
    is_flag=True,
    help="Write the mail records (MX, hosts, SPF, DKIM, DMARC, MTA-STS, TLS-RPT) as a `mail:` block, a preset "
    "when one matches; DKIM keys found become .pub files under keys/.",
)
@verbose_option
@no_progress_option
@click.pass_context
def import_(
    ctx: click.Context,
    zone: str,
    out: Path | None,
    bind_file: Path | None,
    force: bool,
    mail: bool,
    no_progress: bool,
) -> None:
    """Write a zone file for ZONE whose plan is empty: records grouped into record sets, Cloudflare
    comments and tags kept, apex NS as an ignore rule. Reads the live zone through the API, or a BIND
    zone file with --from-bind. With --mail the plan changes only what the importer lists as
    improvements."""
    from zonesync.cli import echo, run_settings
    from zonesync.run.import_zone import import_records, records_from_bind
    from zonesync.zonefile.names import zone_problem

    zone = zone.strip().rstrip(".").lower()
    problem = zone_problem(zone)
    if problem is not None:  # it names the file written too: never a path
        raise ZonesyncError(f"{zone!r} is not a zone name: {problem}")
    target = out if out is not None else Path("zones") / f"{zone}.yaml"
    to_stdout = str(target) == "-"
    if not to_stdout and target.exists() and not force:
        raise ZonesyncError(f"{target} exists: pass --force to overwrite it, or -o - to print the zone file")

    warnings: list[str] = []
    skipped: tuple = ()
    if bind_file is not None:
        records, warnings = records_from_bind(bind_file, zone)
        header = [f"Imported by `zonesync import --from-bind {bind_file.name}`."]
    else:
        from zonesync.run.progress import Progress

        progress = Progress("importing", 1)
        from zonesync.run.session import find_zone, open_provider

        provider = open_provider([zone], run_settings(ctx, progress.request))
        try:
            with progress_line(progress, enabled=not no_progress):
                live = provider.list_records(find_zone(provider, zone))
        finally:
            provider.close()
        records, skipped = list(live.records), live.skipped
        header = [f"Imported from Cloudflare by `zonesync import {zone}`."]

    result = import_records(zone, records, skipped, header, str(target), mail=mail)
    for w in warnings:
        echo(click.style(f"warning: {w}", fg="yellow"), err=True)
    for note in result.notes:
        echo(f"note: {note}", err=True)
    for improvement in result.improvements:
        echo(f"improvement: {improvement}", err=True)
    if result.differences and not result.improvements:
        from zonesync.render.text import render_change

        lines = [click.unstyle(line) for c in result.differences for line in render_change(c, zone)]
        raise ZonesyncError(
            "the generated zone file would not plan empty (a zonesync bug; please report it):\n"
            + "\n".join(lines)
        )
    if to_stdout:
        echo(result.text, nl=False)
        for path in result.public_keys:
            echo(f"note: not written with -o -: {path} (the DKIM key published now)", err=True)
        return
    from zonesync.plan.saved_plan import write_text

    write_text(target, result.text)
    echo(f"Wrote {target}: {counted(len(result.records), 'record')}", err=True)
    write_public_keys(result.public_keys)
    if skipped:
        echo(f"{counted(len(skipped), 'record')} left alone (listed as comments in the file)", err=True)


def write_public_keys(public_keys: dict[Path, str]) -> None:
    """The DKIM keys found in DNS, as `.pub` files (never a private key)."""
    from zonesync.cli import echo
    from zonesync.mail.keys import KeyFileError, write_public_key

    for path, value in public_keys.items():
        try:
            if write_public_key(path, value):
                echo(
                    f"Wrote {path}: the public DKIM key found in DNS (no private key)",
                    err=True,
                )
        except KeyFileError as exc:
            raise ZonesyncError(str(exc)) from None
        except OSError as exc:
            raise ZonesyncError(f"cannot write {path}: {exc.strerror or exc}") from None
