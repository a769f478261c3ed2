"""The `zonesync` command line.

Start-up is kept cheap: this module imports only click and zonesync's light modules; the Cloudflare SDK is
imported by the commands that talk to the API, and sub-commands living elsewhere load on first use.
"""

from __future__ import annotations

import gc
import importlib
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from zonesync import __version__, exitcodes
from zonesync.errors import ZonesyncError

if TYPE_CHECKING:
    from zonesync.loader import ZoneConfig
    from zonesync.manager import ZoneWork
    from zonesync.plan import Plan
    from zonesync.providers.cloudflare import CloudflareProvider

TOKEN_ENV = "CLOUDFLARE_API_TOKEN"


class LazyGroup(click.Group):
    """Sub-commands defined in other modules, imported only when listed or run (click docs, "Lazily
    Loading Subcommands")."""

    def __init__(self, *args: Any, lazy: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = lazy or {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self.lazy])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy:
            module_name, attr = self.lazy[cmd_name].split(":")
            try:
                module = importlib.import_module(module_name)
            except ModuleNotFoundError as exc:
                if not exc.name or not module_name.startswith(exc.name):
                    raise
                return None  # an optional part that is not installed
            return getattr(module, attr)
        return super().get_command(ctx, cmd_name)

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        """click's standalone mode, with zonesync's exit codes: a usage error is bad input (1, not click's
        2, which means "changes" here), and no exception ever reaches the user as a traceback."""
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)
        try:
            rv = super().main(*args, standalone_mode=False, **kwargs)
        except click.UsageError as exc:
            exc.show()
            # bare `zonesync` shows the help: that is not an error
            no_args = getattr(click.exceptions, "NoArgsIsHelpError", ())
            sys.exit(exitcodes.OK if isinstance(exc, no_args) else exitcodes.ERROR)
        except click.ClickException as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except (click.Abort, KeyboardInterrupt):
            click.echo("Aborted.", err=True)
            sys.exit(exitcodes.ERROR)
        except Exception as exc:
            # A bug, not bad input: still one line (set ZONESYNC_DEBUG=1 for the traceback).
            if os.environ.get("ZONESYNC_DEBUG"):
                raise
            click.echo(f"Error: internal error: {type(exc).__name__}: {exc}", err=True)
            sys.exit(exitcodes.ERROR)
        sys.exit(rv if isinstance(rv, int) else exitcodes.OK)


def use_color() -> bool | None:
    """Plain output when NO_COLOR is set (no-color.org); otherwise click colours only on a TTY."""
    return False if os.environ.get("NO_COLOR") else None


def echo(message: str = "", err: bool = False) -> None:
    click.echo(message, err=err, color=use_color())


@click.group(
    cls=LazyGroup,
    lazy={
        "emulator": "zonesync.emulator.command:emulator",
        "dkim": "zonesync.mail.commands:dkim",
        "mta-sts": "zonesync.mail.commands:mta_sts",
        "explain": "zonesync.mail.commands:explain",
        "import": "zonesync.importer_command:import_",
    },
    epilog=exitcodes.HELP,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(__version__, prog_name="zonesync")
@click.option("-v", "--verbose", is_flag=True, help="Log each API request (method, path, status, time).")
@click.option(
    "--rate-limit",
    envvar="ZONESYNC_RATE_LIMIT",
    metavar="N/SECONDS",
    help="Client-side API rate limit shared by all zones of a run [default: 1200/300, Cloudflare's; 'off'].",
)
@click.pass_context
def cli(ctx: click.Context, verbose: bool, rate_limit: str | None) -> None:
    """DNS-as-code for Cloudflare that knows mail.

    Declare records in zones/<zone>.yaml, review with `zonesync plan`, publish with `zonesync apply`.
    The API token comes from CLOUDFLARE_API_TOKEN; CLOUDFLARE_BASE_URL selects another API endpoint
    (the bundled emulator, for instance).
    """
    ctx.ensure_object(dict)
    ctx.obj["verbose"] = verbose
    ctx.obj["rate_limit"] = rate_limit
    if verbose:
        logging.basicConfig(level=logging.INFO, format="zonesync: %(message)s", stream=sys.stderr)
        logging.getLogger("httpx").setLevel(logging.WARNING)  # ours already logs each request once


zone_files_argument = click.argument("zone_files", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))


def resolve_paths(zone_files: Sequence[Path]) -> list[Path]:
    from zonesync.loader import default_zone_files

    if zone_files:
        return list(zone_files)
    found = default_zone_files()
    if not found:
        raise ZonesyncError("no zone files given and none found under zones/ (zones/<zone>.yaml)")
    return found


def load(zone_files: Sequence[Path], for_api: bool = False) -> list[ZoneConfig]:
    from zonesync.manager import load_configs

    if for_api:
        # Commands that talk to the API load the SDK first: its modules (about 18 MB) then do not settle in
        # the memory a large zone file's parse leaves fragmented (100,000 records: 12 MB lower peak).
        import zonesync.providers.cloudflare  # noqa: F401

    return load_configs(resolve_paths(zone_files))


def make_provider(ctx: click.Context) -> CloudflareProvider:
    token = os.environ.get(TOKEN_ENV, "").strip()
    if not token:
        raise ZonesyncError(
            f"{TOKEN_ENV} is not set: create an API token with Zone:Read and DNS:Edit permissions "
            "at Cloudflare and export it"
        )
    from zonesync.providers.cloudflare import CloudflareProvider
    from zonesync.ratelimit import from_setting

    limiter = from_setting(ctx.obj.get("rate_limit") if ctx.obj else None)
    return CloudflareProvider(token, verbose=bool(ctx.obj and ctx.obj.get("verbose")), before_request=limiter)


def print_warnings(configs_desired: Sequence[Any]) -> None:
    for desired in configs_desired:
        for warning in desired.warnings:
            echo(click.style(f"warning: {warning.source}: {warning.message}", fg="yellow"), err=True)


@cli.command()
@zone_files_argument
def validate(zone_files: tuple[Path, ...]) -> None:
    """Check zone files offline: no token, no network. Exit 1 on the first file with errors."""
    from zonesync.manager import validate_offline
    from zonesync.safety import limits_for

    configs = load(zone_files)
    desired = validate_offline(configs)
    for cfg in configs:
        limits_for(cfg)  # a malformed max_changes is bad input too
    print_warnings(desired)
    for cfg, d in zip(configs, desired, strict=True):
        echo(f"{cfg.path}: {cfg.zone}: {len(d.records)} records OK")


def make_plan(works: Sequence[ZoneWork]) -> Plan:
    from zonesync.plan import Plan

    return Plan(tuple(w.plan for w in works))


@cli.command(epilog=exitcodes.HELP)
@zone_files_argument
@click.option("--exit-code", is_flag=True, help="Exit 2 when there are changes, 0 when there are none.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
    help="json: the saved-plan document (schema zonesync/schemas/plan.schema.json); markdown: a PR comment.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Save the plan as JSON, to apply exactly it later with `zonesync apply FILE`.",
)
@click.pass_context
def plan(
    ctx: click.Context, zone_files: tuple[Path, ...], exit_code: bool, fmt: str, out: Path | None
) -> None:
    """Show what apply would change in each zone (default: every zones/*.yaml)."""
    from zonesync.manager import plan_all
    from zonesync.planfile import emit

    configs = load(zone_files, for_api=True)
    provider = make_provider(ctx)
    try:
        works = plan_all(provider, configs)
    finally:
        provider.close()
    the_plan = make_plan(works)
    emit(the_plan, configs, fmt, out)
    if exit_code and the_plan.has_changes:
        ctx.exit(exitcodes.CHANGES)


@cli.command(epilog=exitcodes.HELP)
@zone_files_argument
@click.option("-y", "--yes", is_flag=True, help="Apply without asking (required when not on a terminal).")
@click.option(
    "--no-new-keys", is_flag=True, help="Refuse instead of generating missing DKIM keys (CI runners)."
)
@click.option(
    "--batch-size",
    type=click.IntRange(1, 3500),
    help="Operations per batch request (default: the zone plan's limit).",
)
@click.option("--force", is_flag=True, help="Apply even beyond the safety thresholds (max_changes).")
@click.pass_context
def apply(
    ctx: click.Context,
    zone_files: tuple[Path, ...],
    yes: bool,
    no_new_keys: bool,
    batch_size: int | None,
    force: bool,
) -> None:
    """Plan, confirm, then make the changes through Cloudflare's batch endpoint.

    Given one saved plan (PLAN.json from `plan --out`), apply exactly that plan, refusing it if any
    zone changed since or the file was altered."""
    from zonesync.manager import apply_zone, parallel, plan_all
    from zonesync.planfile import apply_saved, is_plan_file
    from zonesync.render.text import render
    from zonesync.safety import enforce, limits_for

    if any(is_plan_file(f) for f in zone_files):
        if len(zone_files) > 1:
            raise ZonesyncError("a saved plan (.json) is applied alone: zonesync apply PLAN.json")

        return apply_saved(ctx, zone_files[0], yes=yes, force=force, batch_size=batch_size)

    configs = load(zone_files, for_api=True)
    provider = make_provider(ctx)
    try:
        works = plan_all(provider, configs)
        the_plan = make_plan(works)
        echo(render(the_plan))
        if not the_plan.has_changes:
            echo("Nothing to apply.")
            return
        enforce(((w.plan, limits_for(w.config)) for w in works), force)
        pending = [r for w in works for r in w.desired.pending]
        if pending and no_new_keys:
            names = ", ".join(sorted({r.name for r in pending}))
            raise ZonesyncError(
                f"--no-new-keys: no DKIM key exists for {names}; generate it where the mail server can read it "
                "(zonesync dkim generate) and commit the .pub file, or run apply without --no-new-keys"
            )
        confirm(yes, the_plan)
        outcomes = parallel(lambda work: apply_zone(provider, work, batch_size), works)
        for outcome in outcomes:
            for line in outcome.lines:
                echo(line, err=outcome.failed)
        failed = any(o.failed for o in outcomes)
    finally:
        provider.close()
    if failed:
        ctx.exit(exitcodes.ERROR)


def confirm(yes: bool, the_plan: Plan) -> None:
    if yes:
        return
    if not sys.stdin.isatty():
        raise ZonesyncError("not on a terminal: pass --yes to apply without confirmation")
    if not click.confirm("Apply these changes?", default=False):
        raise ZonesyncError("aborted, nothing applied")


def main() -> None:
    # A run builds hundreds of thousands of long-lived objects (parsed YAML and JSON, records) and next to no
    # reference cycles: with the default gen-0 threshold (700) the collector rescans them over and over,
    # which makes a 100,000-record plan about twice as slow (bench/, plan stages).
    gc.set_threshold(100_000, 50, 1000)
    cli.main(prog_name="zonesync")


if __name__ == "__main__":  # pragma: no cover
    main()
