"""`zonesync verify`: check that mail works as the world sees it. No API token: it reads DNS like a sender.

The checks and their order are `zonesync.verify.runner`'s; the output is `zonesync.render.verify`'s; this
module parses options, picks the zones and maps the report to an exit code (0 passed, 5 failed, 1 could not
run).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from zonesync.cli import EXIT_CODES_HELP, Command, echo, format_option, use_color
from zonesync.errors import ExitCode, ZonesyncError

if TYPE_CHECKING:
    from zonesync.verify.result import ConnectTo

DEFAULT_PROBE_DOMAIN = "gmail.com"
"""`--outbound`'s default: a domain whose MX hosts every mail server on the internet reaches."""


def _zone_paths(zones: tuple[str, ...]) -> list[Path]:
    """Like plan: zone files, or zone names looked up as zones/<zone>.yaml; default every zones/*.yaml."""
    from zonesync.cli import resolve_paths
    from zonesync.zonefile.locate import find_zone_file

    if not zones:
        return resolve_paths(())
    return [find_zone_file(z) for z in zones]


def _nameservers(values: tuple[str, ...]) -> tuple[tuple[str, int], ...]:
    from zonesync.verify.resolver import parse_server

    try:
        return tuple(parse_server(v) for v in values)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--nameserver") from None


def _connect_to(values: tuple[str, ...]) -> tuple[ConnectTo, ...]:
    from zonesync.verify.connect import parse_connect_to

    try:
        return tuple(parse_connect_to(v) for v in values)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--connect-to") from None


def _aligned(configs: list, paths: tuple[Path, ...]) -> dict:
    """Zone -> messages and DMARC passes the aggregate reports under `paths` show (each copy read once)."""
    from zonesync.mail.rollout import Aligned
    from zonesync.reports.analysis import summarize
    from zonesync.reports.collect import collect
    from zonesync.reports.zonefacts import zone_facts

    found = collect(paths)
    if not found.reports and found.refused:
        raise ZonesyncError(f"--reports: no report could be read ({len(found.refused):,} refused)")
    summary = summarize(found.reports, {c.zone: zone_facts(c) for c in configs})
    out: dict[str, Aligned] = {c.zone: Aligned(0, 0) for c in configs}
    for d in summary.domains:
        if d.domain == d.zone:
            prev = out.get(d.zone, Aligned(0, 0))
            out[d.zone] = Aligned(prev.messages + d.counts.messages, prev.passed + d.counts.dmarc_pass)
    return out


MAX_PREVIOUS_BYTES = 64 * 1024 * 1024
"""--since reads at most this much: a verify result of many zones is a few megabytes."""


def _wait_seconds(text: str | None) -> float | None:
    if text is None:
        return None
    from zonesync.verify.watch import parse_duration

    try:
        return parse_duration(text)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--wait") from None


def _shown(path: Path) -> str:
    """A file name as printed: control characters escaped."""
    text = str(path)
    return repr(text)[1:-1] if not text.isprintable() else text


def _previous_result(path: Path) -> dict:
    """The earlier `verify --format json` result (refused: unreadable, too big, not JSON, another format or
    a version this zonesync does not read), as a one-line error naming the file."""
    import json

    from zonesync.render.verify import FORMAT, VERSION

    where = f"--since {_shown(path)}"
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_PREVIOUS_BYTES + 1)
    except OSError as exc:
        raise ZonesyncError(f"{where}: cannot read it ({exc.strerror or exc})") from None
    if len(data) > MAX_PREVIOUS_BYTES:
        raise ZonesyncError(f"{where}: larger than {MAX_PREVIOUS_BYTES // 2**20} MiB, not a verify result")
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ZonesyncError(
            f"{where}: not JSON ({str(exc)[:80]!r}): give a `verify --format json` result"
        ) from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ZonesyncError(
            f'{where}: not a `zonesync verify --format json` result (no "format": "{FORMAT}")'
        )
    if doc.get("version") != VERSION:
        raise ZonesyncError(
            f"{where}: verify result version {str(doc.get('version'))[:20]!r}; this zonesync reads version {VERSION}"
        )
    if not isinstance(doc.get("zones"), list):
        raise ZonesyncError(f"{where}: `zones` is not a list")
    return doc


def _trust_anchors(values: tuple[str, ...]) -> tuple[str, ...]:
    from zonesync.verify.dnssec_chain import parse_anchor

    for value in values:
        try:
            parse_anchor(value)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--trust-anchor") from None
    return values


@click.command(cls=Command, epilog=EXIT_CODES_HELP)
@click.argument("zones", nargs=-1, metavar="[ZONE_FILE|ZONE]...")
@click.option(
    "--nameserver",
    "nameservers",
    multiple=True,
    metavar="HOST[:PORT]",
    help="Ask this server (repeatable) instead of the zone's nameservers found by an NS lookup.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(0.1, 120),
    default=5.0,
    show_default=True,
    help="Seconds to wait for each answer.",
)
@format_option("json: schema zonesync/schemas/verify.schema.json; markdown: a pipeline summary or an issue.")
@click.option("--strict", is_flag=True, help="Warnings fail too (exit 5).")
@click.option(
    "--smtp",
    is_flag=True,
    help="Also talk to port 25 of each MX address: banner, EHLO, STARTTLS, certificate.",
)
@click.option(
    "--outbound",
    is_flag=True,
    help="Run on the mail host: can this machine open TCP port 25 to another domain's MX?",
)
@click.option(
    "--probe-domain",
    default=DEFAULT_PROBE_DOMAIN,
    show_default=True,
    help="The domain whose MX --outbound tries to reach.",
)
@click.option(
    "--connect-to",
    "connect_to",
    multiple=True,
    metavar="HOST:PORT:ADDR:PORT",
    help="Reach HOST:PORT at ADDR:PORT instead, keeping HOST for TLS (curl's meaning; repeatable).",
)
@click.option(
    "--ca-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Also trust these CA certificates (PEM) for HTTPS and STARTTLS.",
)
@click.option(
    "--dns-only",
    is_flag=True,
    help="Only the DNS checks: no MTA-STS policy fetch over HTTPS, no SMTP (where the real hosts are unreachable).",
)
@click.option(
    "--trust-anchor",
    "trust_anchors",
    multiple=True,
    metavar="DS-OR-DNSKEY",
    help="Start the DNSSEC chain here instead of the DS at the parent (the DS `zonesync plan` shows; repeatable).",
)
@click.option(
    "--wait",
    "wait",
    metavar="DURATION",
    help="Poll until every declared record, DKIM key and the MTA-STS policy is served from every "
    "authoritative nameserver, at most this long (90s, 10m); then verify. Run it right after apply.",
)
@click.option(
    "--since",
    "since",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="An earlier `verify --format json` result: also show what changed since (checks that started "
    "failing or recovered, served values that changed).",
)
@click.option(
    "--reports",
    "reports",
    multiple=True,
    type=click.Path(exists=True, path_type=Path),
    metavar="PATH",
    help="DMARC aggregate reports (files, directories, Maildirs; repeatable): the DMARC rollout advice says "
    "how much of the zone's mail they show aligned.",
)
@click.option(
    "-v", "--verbose", is_flag=True, help="Show details: the SPF evaluation tree, the policy as fetched."
)
@click.pass_context
def verify(
    ctx: click.Context,
    zones: tuple[str, ...],
    nameservers: tuple[str, ...],
    timeout: float,
    fmt: str,
    strict: bool,
    smtp: bool,
    outbound: bool,
    probe_domain: str,
    connect_to: tuple[str, ...],
    ca_file: Path | None,
    dns_only: bool,
    wait: str | None,
    since: Path | None,
    reports: tuple[Path, ...],
    trust_anchors: tuple[str, ...],
    verbose: bool,
) -> None:
    """Check that the zones' mail works as the world sees it: records as served by DNS, SPF evaluated
    (10 lookups, 2 void), DKIM keys against the key files, DMARC, MTA-STS, TLS-RPT, MX hosts and their
    reverse DNS; the MTA-STS policy over HTTPS; with --smtp the MX over SMTP. Every failure comes with its
    fix. Needs no API token."""
    from zonesync.render import verify as render
    from zonesync.verify.result import NetOptions, Status
    from zonesync.verify.runner import VerifyOptions
    from zonesync.verify.runner import verify as run
    from zonesync.verify.since import compare
    from zonesync.zonefile.load import load_configs

    servers = _nameservers(nameservers)
    rules = _connect_to(connect_to)
    limit = _wait_seconds(wait)
    previous = _previous_result(since) if since is not None else None
    configs = load_configs(_zone_paths(zones))
    anchors = _trust_anchors(trust_anchors)
    net = NetOptions(
        timeout=timeout, nameservers=servers, connect_to=rules, ca_file=ca_file, trust_anchors=anchors
    )
    aligned = _aligned(configs, reports) if reports else {}
    opts = VerifyOptions(
        net, smtp=smtp, outbound=outbound, probe_domain=probe_domain, dns_only=dns_only, aligned=aligned
    )
    if limit is None:
        report = run(configs, opts)
    else:
        from zonesync.verify.watch import watch

        report = watch(configs, opts, limit)
    changes = None
    if previous is not None and since is not None:
        changes = render.Since(_shown(since), tuple(compare(previous, render.document(report, strict))))
    verbose = verbose or bool(ctx.obj and ctx.obj.get("verbose"))
    unreachable = [f for f in report.findings if f.subject == f.zone and f.status is Status.ERROR]
    if fmt == "text" and len(unreachable) == len(report.findings) == len(report.zones):
        # no zone could be asked at all (a dead or wrong --nameserver): one line each, not a report
        raise ZonesyncError("\n".join(f.message for f in unreachable))
    if fmt == "json":
        echo(render.to_json(report, strict, changes))
    elif fmt == "markdown":
        echo(render.markdown(report, strict=strict, since=changes))
    else:
        color = use_color()
        color = sys.stdout.isatty() if color is None else color
        echo(render.text(report, verbose=verbose, color=color, strict=strict, since=changes))
    if report.passed(strict):
        return
    counts = report.counts()
    if counts["fail"] or (strict and counts["warn"]):
        ctx.exit(ExitCode.VERIFY_FAILED)
    ctx.exit(ExitCode.ERROR)
