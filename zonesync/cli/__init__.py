"""The `zonesync` command line: the group, shared options and helpers, and the mapping of zonesync's
errors to click's messages and exit codes. The commands live beside it, one module per group:
`zones` (validate, plan, apply), `importer` (import), `export`, `mail` (dkim, mta-sts, explain), `emulator`,
`verify`.

This package is the only place that imports click, prints, and turns errors into exit codes.
It may import every other package; none imports it (the emulator's `python -m` entry aside).
Start-up is kept cheap: this module imports only click and zonesync's light modules; the Cloudflare SDK is
imported by the commands that talk to the API, and sub-commands load on first use.
"""

from __future__ import annotations

import atexit
import gc
import importlib
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from zonesync import __version__
from zonesync.base.escape import escape, for_terminal
from zonesync.cloudflare.tokens import scrub
from zonesync.errors import ExitCode, ZonesyncError

if TYPE_CHECKING:
    from zonesync.plan.model import Plan
    from zonesync.run.session import Settings


EXIT_CODES_HELP = """\b
Exit codes:
  0  success (with plan --exit-code: no changes)
  1  error: bad input, rejected token, API failure
  2  plan --exit-code: there are changes
  3  a saved plan was refused as stale or altered
  4  refused as unsafe (change threshold; see --force)
  5  verify: a check failed (with --strict, also a warning);
     reports: failures above the threshold"""
"""The epilog of `--help` for the commands that return more than 0 and 1 (`errors.ExitCode`)."""


class CommandError(click.ClickException):
    """A zonesync error as click shows it: `Error: <message>`, exit with the error's own code."""

    def __init__(self, error: ZonesyncError) -> None:
        # an error quoting a header or the token never shows it, nor a control character from outside
        super().__init__(escape(scrub(error.message)))
        vars(self)["exit_code"] = error.exit_code  # click types it a class variable; this error's is its own


class _MapErrors:
    """Turns the core's plain ZonesyncError into a CommandError where a command runs."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)  # type: ignore[misc]
        except ZonesyncError as exc:
            raise CommandError(exc) from exc


class Command(_MapErrors, click.Command):
    """A zonesync command: its errors print as one line and exit with their documented code."""


class Group(_MapErrors, click.Group):
    """A group of zonesync commands (errors mapped as for `Command`)."""

    command_class = Command


class LazyGroup(Group):
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

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        """click's standalone mode, with zonesync's exit codes: a usage error is bad input (1, not click's
        2, which means "changes" here), and no exception ever reaches the user as a traceback."""
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.UsageError as exc:
            _escape_message(exc)
            exc.show()
            # bare `zonesync` shows the help: that is not an error
            no_args = getattr(click.exceptions, "NoArgsIsHelpError", ())
            sys.exit(ExitCode.OK if isinstance(exc, no_args) else ExitCode.ERROR)
        except click.ClickException as exc:
            _escape_message(exc)
            exc.show()
            sys.exit(exc.exit_code)
        except ZonesyncError as exc:
            CommandError(exc).show()
            sys.exit(exc.exit_code)
        except (click.Abort, KeyboardInterrupt):
            click.echo("Aborted.", err=True)
            sys.exit(ExitCode.ERROR)
        except Exception as exc:
            # A bug, not bad input: still one line (set ZONESYNC_DEBUG=1 for the traceback).
            if os.environ.get("ZONESYNC_DEBUG"):
                raise
            echo(f"Error: internal error: {type(exc).__name__}: {exc}", err=True)
            sys.exit(ExitCode.ERROR)
        sys.exit(rv if isinstance(rv, int) else ExitCode.OK)


def _escape_message(exc: click.ClickException) -> None:
    """The message click shows for `exc`, without control characters or secrets (click types `message`
    final; it is the exception's own attribute)."""
    vars(exc)["message"] = escape(scrub(exc.message))


def use_color() -> bool | None:
    """Plain output when NO_COLOR is set (no-color.org); otherwise click colours only on a TTY."""
    return False if os.environ.get("NO_COLOR") else None


def color_on(err: bool = False) -> bool:
    """Whether zonesync colours what it prints to stdout (stderr with `err`): click's own answer (a terminal,
    or `CliRunner(color=True)`), and never with NO_COLOR."""
    stream = sys.stderr if err else sys.stdout
    return not click.utils.should_strip_ansi(stream, use_color())


def echo(message: str = "", err: bool = False, nl: bool = True) -> None:
    """Print through the output boundary: every control character escaped (`zonesync.base.escape`,
    zonesync's own colours kept on a terminal); errors and warnings (stderr) also without header values or
    secrets (`zonesync.cloudflare.tokens.scrub`). Everything zonesync prints goes through here or the error mapping."""
    color = color_on(err)
    text = for_terminal(scrub(message) if err else message, color=color)
    click.echo(text, err=err, color=color, nl=nl)


@click.group(
    cls=LazyGroup,
    lazy={
        "validate": "zonesync.cli.zones:validate",
        "plan": "zonesync.cli.zones:plan",
        "apply": "zonesync.cli.zones:apply",
        "emulator": "zonesync.cli.emulator:emulator",
        "dkim": "zonesync.cli.mail:dkim",
        "mta-sts": "zonesync.cli.mail:mta_sts",
        "explain": "zonesync.cli.mail:explain",
        "relay": "zonesync.cli.relay:relay",
        "dane": "zonesync.cli.dane:dane",
        "import": "zonesync.cli.importer:import_",
        "export": "zonesync.cli.export:export",
        "verify": "zonesync.cli.verify:verify",
        "reports": "zonesync.cli.reports:reports",
    },
    epilog=EXIT_CODES_HELP,
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
    ctx.obj["verbose"] = False
    ctx.obj["rate_limit"] = rate_limit
    if verbose:
        _verbose(ctx)


def _verbose(ctx: click.Context) -> None:
    root = ctx.find_root()
    root.ensure_object(dict)
    if root.obj.get("verbose"):
        return
    root.obj["verbose"] = True
    import logging  # only -v configures it here (the SDK and the provider import it for their own use)

    class ScrubbingFormatter(logging.Formatter):
        """Log lines (`-v`, and any library's warning) never hold a header value or a secret."""

        def format(self, record: logging.LogRecord) -> str:
            return escape(scrub(super().format(record)))

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(ScrubbingFormatter("zonesync: %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler])
    logging.getLogger("httpx").setLevel(logging.WARNING)  # ours already logs each request once


verbose_option = click.option(
    "-v",
    "--verbose",
    is_flag=True,
    expose_value=False,
    callback=lambda ctx, _param, value: _verbose(ctx) if value else None,
    help="Log each API request (method, path, status, time); also accepted before the command.",
)
"""`zonesync plan -v` as well as `zonesync -v plan`: people type it after the command."""


def format_option(help: str) -> Callable[[Any], Any]:
    """`--format text|json|markdown`, the same choice for every report (plan, verify)."""
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(["text", "json", "markdown"]),
        default="text",
        show_default=True,
        help=help,
    )


zone_files_argument = click.argument(
    "zone_files", nargs=-1, metavar="[ZONE|FILE]...", type=click.Path(dir_okay=False, path_type=Path)
)


def resolve_paths(zone_files: Sequence[Path]) -> list[Path]:
    """The zone files to work on: each argument a file, or a zone name (`example.org` ->
    zones/example.org.yaml, as `explain` takes it); none: every zones/*.yaml."""
    from zonesync.zonefile.locate import default_zone_files, find_zone_file

    if zone_files:
        return [find_zone_file(str(f)) for f in zone_files]
    found = default_zone_files()
    if not found:
        raise ZonesyncError("no zone files given and none found under zones/ (zones/<zone>.yaml)")
    return found


def run_settings(ctx: click.Context, on_request: Callable[[], None] | None = None) -> Settings:
    """How the run talks to the API, from the group's options (`-v`, `--rate-limit`); `on_request` counts
    the requests (the progress line). Notices while the run waits ("rate limited: waiting 120 s") are
    printed on stderr."""
    from zonesync.run.session import Settings

    obj = ctx.find_root().obj or {}
    return Settings(
        verbose=bool(obj.get("verbose")),
        rate_limit=obj.get("rate_limit"),
        on_request=on_request,
        notify=lambda message: echo(message, err=True),
    )


def print_warnings(configs_desired: Sequence[Any]) -> None:
    for desired in configs_desired:
        for warning in desired.warnings:
            echo(click.style(f"warning: {warning.source}: {warning.message}", fg="yellow"), err=True)


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
    code: Any = None
    try:
        cli.main(prog_name="zonesync")
    except SystemExit as done:
        code = done.code
    finally:
        # The command is done and its output written and closed: the interpreter's exit would now collect
        # every object left (the SDK's modules, the zones' records), 0.1 to 0.5 s per run, for no effect.
        # Frozen objects are skipped by that collection (where exit_now leaves the exit to the interpreter).
        gc.freeze()
    exit_now(code)


def exit_now(code: Any) -> NoReturn:
    """End the process as the interpreter ends it after `sys.exit(code)`, without its teardown: freeing
    some 600 modules (most of them the SDK's) one by one takes 30-100 ms after the output is complete.

    What an exit must do still happens, in the interpreter's order: the atexit handlers run (logging's
    flush, weakref finalizers), then stdout and stderr are flushed; the status is the same. Where that
    is not certain the interpreter exits as usual: another thread still running (it waits for it), a
    message instead of a status, or a flush that fails (a closed pipe: it reports that and exits 120)."""
    threading = sys.modules.get("threading")  # not imported: no other thread
    if not (code is None or isinstance(code, int)) or (threading and threading.active_count() > 1):
        raise SystemExit(code)
    atexit._run_exitfuncs()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        raise SystemExit(code) from None
    os._exit(code or 0)


if __name__ == "__main__":  # pragma: no cover
    main()
