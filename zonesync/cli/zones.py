"""`zonesync validate`, `plan` and `apply`: zone files (or a saved plan) to Cloudflare.

Only click and the command layer's helpers are imported at module level (`zonesync --help` stays fast); the
work is the run's (`zonesync.run.session`, `zonesync.run.orchestrate`), the output `zonesync.render`'s.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from zonesync.base.plural import counted
from zonesync.cli import (
    EXIT_CODES_HELP,
    Command,
    confirm,
    echo,
    format_option,
    print_warnings,
    resolve_paths,
    run_settings,
    verbose_option,
    zone_files_argument,
)
from zonesync.cli.progress import no_progress_option, progress_line
from zonesync.errors import ExitCode, ZonesyncError
from zonesync.plan.zone_lock import DEFAULT_LEASE, DEFAULT_TIMEOUT

changed_since_option = click.option(
    "--changed-since",
    metavar="REF",
    help="Only the zone files that differ from git revision REF (pull requests: the base branch); zone "
    "files deleted since are reported, never acted on.",
)

if TYPE_CHECKING:
    from zonesync.plan.model import Plan
    from zonesync.zonefile.config import ZoneConfig


@click.command(cls=Command)
@zone_files_argument
@verbose_option
def validate(zone_files: tuple[Path, ...]) -> None:
    """Check zone files (or zones by name) offline: no token, no network. Exit 1 when any file has
    errors, after listing every error of every file."""
    from zonesync.cloudflare import accounts
    from zonesync.run.orchestrate import validate_paths

    configs, desired = validate_paths(resolve_paths(zone_files))
    accounts.load().route([cfg.zone for cfg in configs])  # the accounts file, and one account per zone
    print_warnings(desired)
    for cfg, d in zip(configs, desired, strict=True):
        echo(f"{cfg.path}: {cfg.zone}: {counted(len(d.records), 'record')} OK")


@click.command(cls=Command, epilog=EXIT_CODES_HELP)
@zone_files_argument
@verbose_option
@click.option("--exit-code", is_flag=True, help="Exit 2 when there are changes, 0 when there are none.")
@format_option(
    "json: the saved-plan document (schema zonesync/schemas/plan.schema.json); markdown: a PR comment."
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Save the plan as JSON, to apply exactly it later with `zonesync apply FILE`.",
)
@click.option(
    "--expires-in",
    metavar="DURATION",
    envvar="ZONESYNC_PLAN_TTL",
    help="How long the saved (or JSON) plan may be applied: 72h, 30m, 3d, 90s; default 72h, at most 90d "
    "[env: ZONESYNC_PLAN_TTL].",
)
@changed_since_option
@no_progress_option
@click.pass_context
def plan(
    ctx: click.Context,
    zone_files: tuple[Path, ...],
    exit_code: bool,
    fmt: str,
    out: Path | None,
    expires_in: str | None,
    changed_since: str | None,
    no_progress: bool,
) -> None:
    """Show what apply would change in each zone: files, or zone names (`zonesync plan example.org` reads
    zones/example.org.yaml); default: every zones/*.yaml."""
    from zonesync.run.progress import Progress

    ttl = None
    if expires_in is not None:  # checked before any request
        from zonesync.plan.expiry import parse_duration

        ttl = parse_duration(expires_in, "--expires-in (ZONESYNC_PLAN_TTL)")
    progress = Progress("planning", 0)
    from zonesync.plan.model import Plan
    from zonesync.run.session import start_planning

    with start_planning(changed_paths(zone_files, changed_since), run_settings(ctx, progress.request)) as run:
        progress.phase("planning", len(run.configs))
        with progress_line(progress, enabled=not no_progress):
            works = run.plan(progress.zone_done)
    configs = run.configs
    the_plan = Plan(tuple(w.plan for w in works))
    emit(the_plan, configs, fmt, out, ttl)
    if exit_code and the_plan.has_changes:
        ctx.exit(ExitCode.CHANGES)


def changed_paths(zone_files: Sequence[Path], changed_since: str | None) -> list[Path]:
    """The zone files to plan: all of them, or with `--changed-since REF` those that differ from REF (the
    zone files deleted since are reported on stderr: their zones are left as they are)."""
    if changed_since is None:
        return resolve_paths(zone_files)
    from zonesync.run.changed_files import changed_since as changed_files

    paths = resolve_paths(zone_files)
    changed = changed_files(changed_since, paths, None if zone_files else Path("zones"))
    for gone in changed.deleted:
        warn(
            f"{gone} was deleted since {changed_since}: zone {gone.stem} is not planned and its records stay "
            "as they are at Cloudflare (to remove them, empty its records: and apply before deleting the file)"
        )
    if not changed.files:
        echo(f"No zone file differs from {changed_since}: nothing to plan.", err=True)
    return list(changed.files)


def warn(message: str) -> None:
    echo(click.style(f"warning: {message}", fg="yellow"), err=True)


def emit(
    plan: Plan,
    configs: Sequence[ZoneConfig],
    fmt: str = "text",
    out: Path | None = None,
    ttl: int | None = None,
) -> None:
    """Print the plan in `fmt`, warn about zones apply would refuse as unsafe, save it to `out`; a saved
    or JSON plan may be applied for `ttl` seconds (default `planexpiry.DEFAULT_TTL`)."""
    # the saved-plan format only when a plan is saved or printed as JSON (a text plan never loads it)
    if out is not None or fmt == "json":
        from zonesync.plan import document as json_render
        from zonesync.plan import saved_plan
    if out is not None:
        saved_plan.refuse_pending(plan)
    by_zone = {c.zone: c for c in configs}
    unsafe: list[str] = []
    if plan.has_changes:  # only changes can be unsafe
        from zonesync.plan import safety

        unsafe = [
            p
            for zp in plan.zones
            if zp.has_changes and (p := safety.check(zp, safety.limits_for(by_zone.get(zp.zone))))
        ]
    if fmt == "json":
        echo(json_render.dumps(saved_plan.sealed(plan, by_zone, ttl=ttl)), nl=False)
    elif fmt == "markdown":
        from zonesync.render.markdown import render as render_md

        echo(render_md(plan, by_zone))
    else:
        from zonesync.render.text import render

        echo(render(plan))
    for problem in unsafe:
        echo(click.style(f"warning: {problem}; apply will refuse it", fg="yellow"), err=True)
    if out is not None:
        doc = saved_plan.save(out, plan, by_zone, ttl=ttl)
        echo(
            f"Saved the plan to {out}: apply it with `zonesync apply {out}` before {doc['expires']}",
            err=True,
        )


@click.command(cls=Command, epilog=EXIT_CODES_HELP)
@zone_files_argument
@verbose_option
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
@click.option(
    "--require-signed",
    is_flag=True,
    envvar="ZONESYNC_REQUIRE_SIGNED_PLAN",
    help="Apply only a saved plan signed with ZONESYNC_PLAN_KEY: refuse zone files and unsigned plans "
    "(exit 3) [env: ZONESYNC_REQUIRE_SIGNED_PLAN=1].",
)
@click.option(
    "--lock-timeout",
    type=click.FloatRange(0, 86400),
    default=DEFAULT_TIMEOUT,
    show_default=True,
    envvar="ZONESYNC_LOCK_TIMEOUT",
    metavar="SECONDS",
    help="Wait this long for another apply's zone lock, then stop writing nothing (0: stop at once) "
    "[env: ZONESYNC_LOCK_TIMEOUT].",
)
@click.option(
    "--lock-lease",
    type=click.IntRange(2, 86400),
    default=DEFAULT_LEASE,
    show_default=True,
    envvar="ZONESYNC_LOCK_LEASE",
    metavar="SECONDS",
    help="How long this run's zone lock holds without a refresh (each batch refreshes it): a run killed "
    "mid-apply blocks others at most this long [env: ZONESYNC_LOCK_LEASE].",
)
@changed_since_option
@no_progress_option
@click.pass_context
def apply(
    ctx: click.Context,
    zone_files: tuple[Path, ...],
    yes: bool,
    no_new_keys: bool,
    batch_size: int | None,
    force: bool,
    require_signed: bool,
    lock_timeout: float,
    lock_lease: int,
    changed_since: str | None,
    no_progress: bool,
) -> None:
    """Plan, confirm, then make the changes through Cloudflare's batch endpoint.

    Given one saved plan (PLAN.json from `plan --out`), apply exactly that plan, refusing it if any
    zone changed since or the file was altered."""
    from zonesync.plan import saved_plan
    from zonesync.run.progress import Progress
    from zonesync.run.session import open_saved, start_planning

    saved = None
    if require_signed and not (len(zone_files) == 1 and saved_plan.is_plan_file(zone_files[0])):
        from zonesync.errors import StalePlanError

        raise StalePlanError(
            "only a signed saved plan is applied here (--require-signed or "
            f"{saved_plan.REQUIRE_SIGNED_ENV}=1), not zone files: make one with `zonesync plan --out plan.json` "
            f"({saved_plan.KEY_ENV} set), review it, then `zonesync apply plan.json`"
        )
    if any(saved_plan.is_plan_file(f) for f in zone_files):
        if len(zone_files) > 1:
            raise ZonesyncError("a saved plan (.json) is applied alone: zonesync apply PLAN.json")
        if changed_since is not None:
            raise ZonesyncError(
                "--changed-since chooses zone files to plan; a saved plan is applied as it is"
            )
        # A saved plan is shown before any request: an empty one needs no token.
        from zonesync.render.text import render

        saved = saved_plan.load(zone_files[0], require_signed=require_signed)
        the_plan = saved.as_plan()
        echo(render(the_plan))
        if not the_plan.has_changes:
            echo("Nothing to apply.")
            return
        retry = "Plan again to converge."
        progress = Progress("checking", len(saved.zones))
        run = open_saved(saved, run_settings(ctx, progress.request))
    else:
        progress = Progress("planning", 0)
        run = start_planning(changed_paths(zone_files, changed_since), run_settings(ctx, progress.request))
        if not run.configs:
            echo("Nothing to apply.")
            return
        progress.phase("planning", len(run.configs))
        retry = "Run apply again to converge."
    from zonesync.render.text import render, render_outcome
    from zonesync.run.orchestrate import Locking, plan_of

    with run:
        with progress_line(progress, enabled=not no_progress):
            zones = run.check_saved(saved) if saved is not None else run.plan_for_apply(progress.zone_done)
        if saved is None:
            the_plan = plan_of(zones)
            echo(render(the_plan))
            if not the_plan.has_changes:
                echo("Nothing to apply.")
                return

        def confirmed() -> None:  # the line is drawn only once the user said yes
            confirm(yes, the_plan)
            stop.arm()  # from here on a SIGINT stops between batches and the report says what landed
            progress.phase("applying", sum(1 for z in zones if z.plan.has_changes))
            line.show()

        from zonesync.cli.interrupt import StopOnSigint

        stop = StopOnSigint()
        locking = Locking(timeout=lock_timeout, lease=lock_lease, interrupted=stop.is_set)
        with progress_line(progress, enabled=not no_progress, show=False) as line, stop:
            outcomes = run.apply(
                zones,
                confirm=confirmed,
                force=force,
                no_new_keys=no_new_keys,
                batch_size=batch_size,
                on_zone_done=progress.zone_done,
                locking=locking,
            )
    for outcome in outcomes:
        for text in render_outcome(outcome, retry):
            echo(text, err=outcome.failed)
    if stop.is_set():
        echo(
            "Interrupted (SIGINT): the batches already sent were finished; the lines above say what landed.",
            err=True,
        )
        ctx.exit(ExitCode.ERROR)
    if any(o.report.stale for o in outcomes):
        ctx.exit(ExitCode.STALE)  # another run changed the zone meanwhile: the plan no longer holds
    if any(o.failed for o in outcomes):
        ctx.exit(ExitCode.ERROR)
