"""Start-up: a command imports only what it uses. `zonesync plan` of a plain zone with no change loads no
mail checks, DKIM keys, cryptography, Workers, verify, saved-plan or other commands' modules; `--help`
still lists every command with its short help."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from clirun import python

from zonesync.cli import cli

PLAIN = """\
zone: example.com
records:
  "@": {type: A, value: 192.0.2.1}
  www: {type: CNAME, value: example.com.}
  v6: {type: AAAA, value: "2001:db8::1"}
  host: {type: MX, value: 10 mx.example.net.}
  note: {type: TXT, value: a plain note}
"""

NOT_FOR_A_PLAIN_PLAN = (
    "zonesync.mail.records",
    "zonesync.mail.checks",
    "zonesync.mail.spec",
    "zonesync.mail.expand",
    "zonesync.mail.keys",
    "zonesync.mail.dkim",
    "cryptography",
    "zonesync.plan.worker",
    "zonesync.cloudflare.workers_api",
    "zonesync.verify",
    "zonesync.plan.saved_plan",
    "zonesync.plan.document",
    "zonesync.render.markdown",
    "zonesync.plan.safety",
    "zonesync.cloudflare.batch_outcome",
    "zonesync.run.changed_files",
    "zonesync.run.import_zone",
    "zonesync.emulator",
    "zonesync.cli.mail",
    "zonesync.cli.verify",
    "zonesync.cli.emulator",
    "zonesync.cli.importer",
    "dns.rdata",
    "dns.renderer",
    "dns.rdataclass",
    "dns.rdatatype",
    "difflib",
)


def modules_after(args: list[str], cwd: Path) -> tuple[int, set[str]]:
    """Run `zonesync ARGS` as its own process, as a user does (`zonesync.cli.main`); the modules it held
    at exit, written by an atexit handler (which must still run however the process ends)."""
    out = cwd / "modules.json"
    code = (
        "import atexit, json, sys\n"
        f"atexit.register(lambda: open({str(out)!r}, 'w').write(json.dumps(sorted(sys.modules))))\n"
        f"sys.argv = ['zonesync', *{args!r}]\n"
        "from zonesync.cli import main\n"
        "main()\n"
    )
    proc = python(code, cwd)
    assert out.exists(), proc.stderr
    return proc.returncode, set(json.loads(out.read_text()))


def test_help_lists_every_command_with_its_short_help() -> None:
    result = CliRunner().invoke(cli, ["--help"], terminal_width=100)
    assert result.exit_code == 0
    listing = result.output.split("Commands:", 1)[1]
    ctx = cli.make_context("zonesync", ["--help"], resilient_parsing=True)
    names = cli.list_commands(ctx)
    assert set(names) >= {"validate", "plan", "apply", "import", "dkim", "mta-sts", "explain", "emulator"}
    for name in names:
        command = cli.get_command(ctx, name)
        assert command is not None
        first_words = " ".join(command.get_short_help_str(200).split()[:4])
        assert f"{name} " in listing and first_words in " ".join(listing.split()), name


def test_a_closed_pipe_ends_as_a_plain_click_run(tmp_path: Path) -> None:
    def status(code: str) -> int:
        proc = subprocess.Popen(
            [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
        assert proc.stdout is not None
        proc.stdout.close()  # the reader went away (`zonesync --help | true`)
        return proc.wait()

    plain = "import sys\nfrom zonesync.cli import cli\ntry:\n    cli.main(['--help'], prog_name='zonesync')\nexcept SystemExit as e:\n    sys.exit(e.code)\n"
    ours = "import sys\nsys.argv = ['zonesync', '--help']\nfrom zonesync.cli import main\nmain()\n"
    assert status(ours) == status(plain) != 0
