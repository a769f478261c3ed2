"""`zonesync reports PATH...`: what the receivers say. Reads DMARC aggregate and TLS-RPT reports from files,
directories and Maildirs (`zonesync.reports.collect`), summarises them per managed domain
(`zonesync.reports.analysis`) and prints them (`zonesync.render.reports`). Exit 0; 5 when a domain's
failures are above the threshold; 1 when nothing could be read. Needs no API token.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from zonesync.cli import EXIT_CODES_HELP, Command, echo, format_option
from zonesync.errors import ExitCode, ZonesyncError

if TYPE_CHECKING:
    from zonesync.reports.analysis import Summary
    from zonesync.reports.zonefacts import ZoneFacts

DEFAULT_THRESHOLD = 2.0
"""Percent of a domain's messages failing DMARC (or of its TLS sessions failing) above which the run exits
5. A domain that sends only its own, well set-up mail sees well under 1%; spoofing and forwarding push it
up, a broken key or SPF record to most of the mail."""


def _day(value: str | None, param: str) -> int | None:
    if value is None:
        return None
    try:
        moment = date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r}: give a date as YYYY-MM-DD", param_hint=param) from None
    return int(datetime(moment.year, moment.month, moment.day, tzinfo=UTC).timestamp())


def _zone_facts(zones: tuple[str, ...]) -> dict[str, ZoneFacts]:
    from zonesync.cli import resolve_paths
    from zonesync.reports.zonefacts import zone_facts
    from zonesync.zonefile.load import load_configs
    from zonesync.zonefile.locate import find_zone_file

    paths = [find_zone_file(z) for z in zones] if zones else resolve_paths(())
    return {c.zone: zone_facts(c) for c in load_configs(paths)}


@click.command(cls=Command, epilog=EXIT_CODES_HELP)
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "-z",
    "--zone",
    "zones",
    multiple=True,
    metavar="ZONE|FILE",
    help="A managed zone (repeatable) [default: every zones/*.yaml]; reports for other domains are skipped.",
)
@click.option("--since", metavar="YYYY-MM-DD", help="Only reports that cover this day (UTC) or later.")
@click.option("--until", metavar="YYYY-MM-DD", help="Only reports that cover this day (UTC) or earlier.")
@format_option("json: schema zonesync/schemas/reports.schema.json; markdown: for an issue or a job summary.")
@click.option(
    "--threshold",
    type=click.FloatRange(0, 100),
    default=DEFAULT_THRESHOLD,
    show_default=True,
    metavar="PERCENT",
    help="Exit 5 when a domain's DMARC failures (or failed TLS sessions) are above this share; 0: any.",
)
@click.option(
    "--reverse-dns",
    is_flag=True,
    help="Look up the reverse names of the busiest sources (bounded; off by default: no network).",
)
@click.option(
    "--nameserver",
    "nameservers",
    multiple=True,
    metavar="HOST[:PORT]",
    help="With --reverse-dns: ask this resolver (repeatable) instead of the system's.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(0.1, 30),
    default=2.0,
    show_default=True,
    help="With --reverse-dns: seconds per question (all lookups together: at most about three times this).",
)
@click.pass_context
def reports(
    ctx: click.Context,
    paths: tuple[Path, ...],
    zones: tuple[str, ...],
    since: str | None,
    until: str | None,
    fmt: str,
    threshold: float,
    reverse_dns: bool,
    nameservers: tuple[str, ...],
    timeout: float,
) -> None:
    """Read the receivers' DMARC aggregate reports (RFC 9990 and RFC 7489 XML; .xml, .xml.gz, .zip) and
    TLS reports (RFC 8460 JSON; .json, .json.gz) from files, directories and Maildirs, and say per domain
    who sent mail as it, what passed SPF, DKIM and DMARC aligned, what failed and why — with the fix in
    the zone file where there is one — and which TLS sessions to the MX failed. Copies of a report are
    read once; hostile files (zip bombs, nested archives, XML entities, malformed XML or JSON) are
    refused with one line each."""
    from zonesync.render import reports as render
    from zonesync.reports.analysis import Window, summarize
    from zonesync.reports.collect import collect

    start = _day(since, "--since")
    end = _day(until, "--until")
    window = Window(start, end + 86400 if end is not None else None)
    if start is not None and end is not None and start > end:
        raise click.BadParameter("--since is after --until", param_hint="--since")
    servers: tuple[tuple[str, int], ...] = ()  # (address, port), as verify.resolver.Server
    if nameservers:
        from zonesync.verify.resolver import parse_server

        try:
            servers = tuple(parse_server(n) for n in nameservers)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--nameserver") from None
    facts = _zone_facts(zones)
    found = collect(paths)
    for refusal in found.refused:
        echo(f"refused: {render.clean(refusal.origin)}: {render.clean(refusal.reason)}", err=True)
    if not found.reports and found.refused:
        raise ZonesyncError(f"no report could be read ({len(found.refused):,} refused)")

    def run(reverse: dict[str, str] | None = None) -> Summary:
        return summarize(
            found.reports,
            facts,
            window,
            duplicates=found.duplicates,
            refused=found.refused,
            ignored=found.ignored,
            files=found.files,
            threshold=threshold,
            reverse=reverse,
        )

    summary = run()
    if reverse_dns:
        from zonesync.reports.reverse import reverse_names

        summary = run(reverse_names(summary.addresses(), timeout=timeout, nameservers=servers))
    if fmt == "json":
        echo(render.to_json(summary))
    elif fmt == "markdown":
        echo(render.markdown(summary))
    else:
        echo(render.text(summary))
    if summary.over_threshold:
        ctx.exit(ExitCode.REPORTS_FAILED)
