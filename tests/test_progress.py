"""The progress line: its text, and that it is drawn on a terminal only, unless --no-progress."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
from pathlib import Path

import pytest

from zonesync.emulator.server import Emulator
from zonesync.run.progress import Progress, duration, format_line


def test_format_line() -> None:
    assert format_line("planning", 0, 5000, 3, 0.4) == "planning 0/5,000 zones · 3 requests · 0s"
    assert (
        format_line("planning", 1200, 5000, 1240, 20.0)
        == "planning 1,200/5,000 zones · 1,240 requests (62/s) · 1m03s left"
    )
    assert format_line("applying", 1, 1, 2, 3.0) == "applying 1/1 zone · 2 requests (1/s) · 3s"
    assert duration(3725) == "1h02m"


def test_the_estimate_follows_the_current_phase() -> None:
    now = [0.0]
    progress = Progress("planning", 10, clock=lambda: now[0])
    for _ in range(10):
        progress.request()
        progress.zone_done()
    now[0] = 100.0
    progress.phase("applying", 4)
    progress.zone_done()
    now[0] = 110.0  # one zone applied in 10 s: 3 left, 30 s
    assert progress.line() == "applying 1/4 zones · 10 requests (0/s) · 30s left"


def run_on_terminal(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[int, str]:
    """Run zonesync with stderr on a pseudo-terminal (stdout to a pipe); what the terminal showed."""
    main, child = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "zonesync", *args], cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=child
    )
    os.close(child)
    shown = b""
    while True:
        ready, _, _ = select.select([main], [], [], 30)
        if not ready:
            break
        try:
            data = os.read(main, 4096)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        shown += data
    proc.wait(timeout=30)
    os.close(main)
    return proc.returncode, shown.decode(errors="replace")


@pytest.fixture
def slow_account(tmp_path: Path):
    names = [f"p{i}.example" for i in range(4)]
    (tmp_path / "zones").mkdir()
    for name in names:
        (tmp_path / "zones" / f"{name}.yaml").write_text(
            f"zone: {name}\nrecords:\n  www:\n    type: A\n    value: 192.0.2.1\n"
        )
    with Emulator(tokens=("test-token",), zones=names, rate_limit=0, latency=0.3) as emu:
        env = {**os.environ, "CLOUDFLARE_API_TOKEN": "test-token", "CLOUDFLARE_BASE_URL": emu.url}
        yield tmp_path, env, emu


def test_progress_on_a_terminal(slow_account) -> None:
    cwd, env, emu = slow_account
    # The line appears once planning has taken half a second; the lookup and the listings start while the
    # zone files are read (run/read_ahead.py), so each must outlast that on its own, however fast the parse.
    emu.set_latency(0.7)
    code, shown = run_on_terminal(["plan", "--exit-code"], cwd, env)
    assert code == 2
    # the rate shows once the run is a second old (it starts before the files are read: their zones' reads do)
    assert re.search(r"\r\x1b\[Kplanning [0-4]/4 zones · \d+ requests?( \(\d+/s\))? · ", shown), shown
    assert shown.endswith("\r\x1b[K")  # erased at the end


def test_progress_of_apply(slow_account) -> None:
    cwd, env, emu = slow_account
    emu.set_latency(0.7)  # each phase outlasts the half second before the line appears
    code, shown = run_on_terminal(["apply", "--yes"], cwd, env)
    assert code == 0
    assert re.search(r"\r\x1b\[Kplanning [0-4]/4 zones", shown), shown
    assert re.search(r"\r\x1b\[Kapplying [0-4]/4 zones", shown), shown


def test_no_progress_flag(slow_account) -> None:
    cwd, env, _ = slow_account
    code, shown = run_on_terminal(["plan", "--exit-code", "--no-progress"], cwd, env)
    assert code == 2
    assert "planning" not in shown


def test_no_progress_off_a_terminal(slow_account) -> None:
    cwd, env, _ = slow_account
    result = subprocess.run(
        [sys.executable, "-m", "zonesync", "plan"], cwd=cwd, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert "planning" not in result.stderr and "\r" not in result.stderr
