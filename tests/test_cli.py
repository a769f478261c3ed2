"""CLI conventions: exit codes for help and usage errors, fast start-up without the SDK."""

from __future__ import annotations

import subprocess
import sys

from click.testing import CliRunner
from clirun import python

from zonesync.cli import cli


def test_bare_command_shows_help_and_succeeds() -> None:
    result = CliRunner().invoke(cli, [])
    assert result.exit_code == 0
    assert "Commands:" in result.output and "Exit codes:" in result.output


def test_usage_error_is_exit_1_not_2() -> None:
    result = CliRunner().invoke(cli, ["plan", "--no-such-flag"])
    assert result.exit_code == 1  # 2 means "plan found changes"
    assert "No such option '--no-such-flag'" in result.output


def test_help_and_validate_do_not_import_the_sdk() -> None:
    code = (
        "import sys\n"
        "from zonesync.cli import cli\n"
        "try:\n"
        "    cli.main(['--help'], prog_name='zonesync')\n"
        "except SystemExit:\n"
        "    pass\n"
        "assert 'cloudflare' not in sys.modules and 'httpx' not in sys.modules, 'SDK imported'\n"
    )
    proc = python(code)
    assert proc.returncode == 0, proc.stderr


def test_plan_and_apply_help_list_the_exit_codes() -> None:
    for command in ("plan", "apply"):
        result = CliRunner().invoke(cli, [command, "--help"])
        assert result.exit_code == 0
        assert "3  a saved plan was refused as stale or altered" in result.output


def test_main_freezes_the_heap_after_the_command_whatever_its_exit(monkeypatch) -> None:
    """The exit-time collection is skipped (gc.freeze) only once the command has run to its end: after a
    success and after an error alike, with the command's own exit code kept."""
    import gc

    import zonesync.cli as cli_module

    calls: list[str] = []
    monkeypatch.setattr(gc, "freeze", lambda: calls.append("freeze"))
    monkeypatch.setattr(gc, "set_threshold", lambda *a: None)

    def exit_now(code: object) -> None:  # the real one ends the process (os._exit): tested apart
        raise SystemExit(code)

    monkeypatch.setattr(cli_module, "exit_now", exit_now)
    for argv, code in ((["zonesync", "--version"], 0), (["zonesync", "plan", "--no-such-flag"], 1)):
        calls.clear()
        monkeypatch.setattr(sys, "argv", argv)
        try:
            cli_module.main()
        except SystemExit as exc:
            assert exc.code == code
        else:
            raise AssertionError("main() returned without exiting")
        assert calls == ["freeze"]


def test_a_run_ends_normally_after_the_freeze(tmp_path) -> None:
    """A real process: output complete and exit code kept (the freeze only skips the final collection)."""
    zone = tmp_path / "example.com.yaml"
    zone.write_text("zone: example.com\nrecords:\n  www: {type: A, value: 192.0.2.1}\n")
    proc = subprocess.run(
        [sys.executable, "-m", "zonesync", "validate", str(zone)], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip()
