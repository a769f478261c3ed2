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


def test_plan_of_a_plain_zone_imports_only_what_it_uses(emulator, tmp_path: Path) -> None:
    (tmp_path / "zones").mkdir()
    (tmp_path / "zones" / "example.com.yaml").write_text(PLAIN)
    applied = CliRunner().invoke(cli, ["apply", "--yes", str(tmp_path / "zones" / "example.com.yaml")])
    assert applied.exit_code == 0, applied.output
    code, loaded = modules_after(["plan", "--exit-code", "zones/example.com.yaml"], tmp_path)
    assert code == 0  # no change
    assert {"cloudflare", "zonesync.cloudflare.provider", "zonesync.cli.zones", "zonesync.mail"} <= loaded
    inside = tuple(f"{m}." for m in NOT_FOR_A_PLAIN_PLAN)
    unused = sorted(m for m in loaded if m in NOT_FOR_A_PLAIN_PLAN or m.startswith(inside))
    assert unused == []


def test_a_plan_with_changes_and_a_mail_block_loads_what_those_need(emulator, tmp_path: Path) -> None:
    """The shortcuts are not blanket: a zone with a `mail:` block is checked, a change is safety-checked."""
    (tmp_path / "zones").mkdir()
    (tmp_path / "zones" / "example.com.yaml").write_text(
        PLAIN + "mail:\n  mx: [{host: mx, priority: 10}]\n  hosts: {mx: {ipv4: [192.0.2.25]}}\n"
    )
    code, loaded = modules_after(["plan", "--exit-code", "zones/example.com.yaml"], tmp_path)
    assert code == 2  # changes
    assert {"zonesync.mail.checks", "zonesync.mail.spec", "zonesync.plan.safety"} <= loaded


def test_validate_and_help_load_no_sdk(tmp_path: Path) -> None:
    (tmp_path / "zones").mkdir()
    (tmp_path / "zones" / "example.com.yaml").write_text(PLAIN)
    for args in (["validate", "zones/example.com.yaml"], ["--help"]):
        code, loaded = modules_after(args, tmp_path)
        assert code == 0
        assert not {m for m in loaded if m.split(".")[0] in ("cloudflare", "httpx", "httpcore", "logging")}


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


def run_exit_now(body: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    code = "import atexit, sys, threading, time\nfrom zonesync.cli import exit_now\n" + body
    return subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=False
    )


def test_exit_now_does_what_an_exit_must(tmp_path: Path) -> None:
    """zonesync.cli.main ends the process without the interpreter's teardown, but still runs the atexit
    handlers, flushes what is buffered, keeps the status, and waits for a thread still running."""
    done = run_exit_now(
        "atexit.register(lambda: print('handler', file=sys.stderr))\n"
        "sys.stdout.write('buffered, no newline')\n"
        "exit_now(2)\n",
        tmp_path,
    )
    assert (done.returncode, done.stdout, done.stderr) == (2, "buffered, no newline", "handler\n")
    assert run_exit_now("exit_now(None)\n", tmp_path).returncode == 0
    message = run_exit_now("exit_now('a message')\n", tmp_path)
    assert (message.returncode, message.stderr) == (1, "a message\n")  # as sys.exit('a message')
    late = run_exit_now(
        "t = threading.Thread(target=lambda: (time.sleep(0.2), print('thread done')))\n"
        "t.start()\n"
        "exit_now(3)\n",
        tmp_path,
    )
    assert (late.returncode, late.stdout) == (3, "thread done\n")


def test_a_closed_pipe_ends_as_without_exit_now(tmp_path: Path) -> None:
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


def test_verify_loads_dns_query_only_when_a_lookup_needs_it(tmp_path: Path) -> None:
    """dns.query (imported by dns.resolver and dns.asyncquery) loads httpx and ssl for DNS over HTTPS: a
    verify against given nameservers over UDP never needs it; the system's resolvers, TCP and --smtp do."""
    code = (
        "import sys\n"
        "import zonesync.cli.verify, zonesync.verify.runner, zonesync.verify.connect\n"
        "print(sorted(m for m in ('dns.query', 'dns.asyncquery', 'dns.resolver') if m in sys.modules))\n"
        "from zonesync.verify import resolver\n"
        "resolver.system_resolver.Resolver\n"
        "print('dns.query' in sys.modules)\n"
    )
    proc = python(code, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["[]", "True"]
