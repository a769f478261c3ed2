"""Large zone files parsed in a forked child (`zonesync.run.parse_process`): the same configs, the same errors,
the same plans as a parse in the process itself, and a parse in the process when the child fails.

The fork is exercised where it happens for users: the real CLI in a process of its own (a single-threaded
process; this test process runs the emulator's threads, so it never forks itself)."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from clirun import python

from zonesync.emulator.server import Emulator
from zonesync.errors import InvalidZoneError, ZoneFileError
from zonesync.model import Diagnostic, Source
from zonesync.run import parse_process
from zonesync.zonefile.load import load_zone_file

STARTED = "test: parse process started"
AGAIN = "test: parsed again in process"

# Runs `zonesync ARGS...` with os.fork watched (MODE observe), refused (off: as where fork fails), or with
# a child that dies without an answer (crash). The parent says when it parses after a fork.
RUNNER = f"""
import os, sys
import zonesync.zonefile.load as zone_load
import zonesync.run.parse_process as pp
mode, real_fork, real_load = os.environ["PARSE_MODE"], os.fork, zone_load.load_configs
def again(paths):
    sys.stderr.write({AGAIN!r} + "\\n")
    return real_load(paths)
def watched():
    pid = real_fork()
    if pid:
        sys.stderr.write({STARTED!r} + "\\n")
        zone_load.load_configs = again
    return pid
def refused():
    raise OSError("fork refused")
os.fork = refused if mode == "off" else watched
if mode == "crash":
    pp._child = lambda paths, fd: os._exit(3)
from zonesync.cli import main
sys.argv = ["zonesync", *sys.argv[1:]]
main()
"""


def zonesync(mode: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PARSE_MODE": mode, "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-c", RUNNER, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def big_zone(records: int = 2500, bad_at: int | None = None) -> str:
    """A zone file of `records` record sets (the default is over PARALLEL_BYTES), with comments, tags
    and several types; `bad_at`: that record's address is not one."""
    lines = ["zone: example.com", "ttl: 300", "records:"]
    for i in range(records):
        value = "10.0.300.1" if i == bad_at else f"10.{i // 250}.{i % 250}.1"
        lines += [f"  host{i}:", "    type: A", f'    value: "{value}"']
        if i % 7 == 0:
            lines += [f"    comment: host {i}", "    tags: [team:dns]"]
    lines += [
        "  mail:",
        "    - {type: MX, value: 10 mx1.example.net.}",
        '    - {type: TXT, value: "v=spf1 -all"}',
    ]
    return "\n".join(lines) + "\n"


def test_the_default_big_zone_is_large_enough_to_fork() -> None:
    assert len(big_zone().encode()) >= parse_process.PARALLEL_BYTES


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "zones").mkdir()
    return tmp_path


def plan_json(result: subprocess.CompletedProcess[str]) -> dict:
    """The plan document less what depends on the second it was made (its times, hence its digest)."""
    assert result.returncode in (0, 2), result.stderr
    doc = json.loads(result.stdout)
    return {k: v for k, v in doc.items() if k not in ("created", "expires", "digest")}


def test_large_file_is_parsed_by_a_child_and_plans_as_in_process(
    project: Path, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = big_zone()
    (project / "zones" / "example.com.yaml").write_text(text)
    forked = zonesync("observe", "plan", "--format", "json", cwd=project)
    alone = zonesync("off", "plan", "--format", "json", cwd=project)
    assert STARTED in forked.stderr and STARTED not in alone.stderr
    assert AGAIN not in forked.stderr
    doc = plan_json(forked)
    assert doc == plan_json(alone)
    [zone] = doc["zones"]
    assert zone["counts"]["create"] == 2500 + 2
    creates = {c["after"]["name"]: c for c in zone["changes"]}
    value_line = text.splitlines().index("  host7:") + 3
    assert creates["host7.example.com"]["after"]["source"] == {
        "path": "zones/example.com.yaml", "line": value_line, "field": "records.host7.value", "origin": None,
    }  # fmt: skip
    assert creates["host7.example.com"]["after"]["tags"] == ["team:dns"]


def test_apply_from_a_child_parse_converges(project: Path, emulator: Emulator) -> None:
    (project / "zones" / "example.com.yaml").write_text(big_zone())
    applied = zonesync("observe", "apply", "--yes", cwd=project)
    assert applied.returncode == 0, applied.stderr
    assert STARTED in applied.stderr and AGAIN not in applied.stderr
    again = zonesync("observe", "plan", "--exit-code", cwd=project)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "no changes (2502 live records)" in again.stdout


def test_an_error_in_a_large_file_is_the_same_one_line_error(project: Path) -> None:
    (project / "zones" / "example.com.yaml").write_text(big_zone(bad_at=2000))
    forked = zonesync("observe", "plan", cwd=project)
    alone = zonesync("off", "plan", cwd=project)
    assert STARTED in forked.stderr and AGAIN not in forked.stderr
    assert forked.returncode == alone.returncode == 1
    error = forked.stderr.replace(STARTED + "\n", "")
    assert error == alone.stderr
    [line] = error.splitlines()
    assert line.startswith("Error: zones/example.com.yaml:") and "records.host2000.value" in line
    assert "Traceback" not in forked.stderr


def test_a_child_that_dies_is_replaced_by_a_parse_in_process(project: Path, emulator: Emulator) -> None:
    (project / "zones" / "example.com.yaml").write_text(big_zone())
    crashed = zonesync("crash", "plan", "--format", "json", cwd=project)
    assert STARTED in crashed.stderr and AGAIN in crashed.stderr
    assert plan_json(crashed) == plan_json(zonesync("off", "plan", "--format", "json", cwd=project))


def test_the_child_is_reaped_when_the_parent_stops_early(project: Path) -> None:
    path = project / "zones" / "example.com.yaml"
    path.write_text(big_zone())
    script = f"""
import os
from pathlib import Path
from zonesync.run import parse_process
parsing = parse_process.start([Path({str(path)!r})])
assert parsing is not None
parsing.close()   # a run stopped before it took the result
try:
    os.waitpid(-1, os.WNOHANG)
except ChildProcessError:
    print("no child left")
"""
    done = python(script, timeout=60)
    assert done.stdout.strip() == "no child left", done.stderr


def test_small_files_and_threaded_processes_parse_in_process(project: Path) -> None:
    small = project / "zones" / "small.example.yaml"
    small.write_text("zone: small.example\nrecords:\n  www: {type: A, value: 192.0.2.1}\n")
    assert parse_process.start([small]) is None
    big = project / "zones" / "example.com.yaml"
    big.write_text(big_zone())
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert parse_process.start([big]) is None  # never forks a process running other threads
    finally:
        stop.set()
        other.join()
    assert parse_process.start([project / "zones" / "missing.yaml"]) is None  # the parse reports it


def test_configs_travel_whole(project: Path) -> None:
    path = project / "zones" / "example.com.yaml"
    path.write_text(
        big_zone(records=40)
        + "mail:\n  domain: example.com\n  mx: [mx1.example.net.]\n"
        + "ignore:\n  - {name: _acme-challenge, type: TXT}\n"
    )
    config = load_zone_file(path)
    [back] = parse_process.decode(parse_process.encode([config]))
    assert back == config
    assert [parse_process._flat(r) for r in back.records] == [parse_process._flat(r) for r in config.records]
    assert back.mail is not None and config.mail is not None
    assert back.mail.line_of("mx") == config.mail.line_of("mx") > 0


@pytest.mark.parametrize(
    "error",
    [
        ZoneFileError(Source("zones/a.yaml", 7, "records.www.value"), "not an address"),
        InvalidZoneError([Diagnostic("error", Source("zones/a.yaml", 3, "records.x"), "CNAME and A")]),
    ],
)
def test_the_childs_error_is_raised_as_itself(error: Exception) -> None:
    with pytest.raises(type(error)) as raised:
        parse_process.decode(pickle.dumps(("error", error)))
    assert str(raised.value) == str(error)
    assert raised.value.__dict__ == error.__dict__


@pytest.mark.parametrize(
    "data", [b"", b"\x80\x05garbage", pickle.dumps(("ok", []))[:-3], pickle.dumps(("?",))]
)
def test_an_answer_cut_short_or_unknown_is_no_answer(data: bytes) -> None:
    with pytest.raises(ValueError):
        parse_process.decode(data)
