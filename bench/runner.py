"""Run a command as a user would (a fresh process), measuring wall time and that process's peak memory.

Peak memory is the tool process's own maximum resident set size (`os.wait4` rusage, Linux `ru_maxrss`),
taken by a tiny wrapper process (bench/_measure.py) that spawns the tool: never the bench process, which
hosts the emulator and its seeded zones (Linux would otherwise pass the bench's RSS on through exec).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

MEASURE = Path(__file__).resolve().with_name("_measure.py")


@dataclass
class Measured:
    cmd: list[str]
    returncode: int
    wall_s: float
    peak_mb: float
    stdout: str
    stderr: str
    killed: bool = False
    events: dict[str, float] = field(default_factory=dict)
    """Seconds after start at which a watched pattern first appeared on stderr."""


def tool(name: str) -> list[str]:
    """The console script installed next to this Python (a venv's bin/), else `python -m`."""
    script = Path(sys.executable).parent / name
    if script.exists():
        return [str(script)]
    found = shutil.which(name)
    if found:
        return [found]
    module = {"zonesync": "zonesync", "octodns-sync": "octodns.cmds.sync"}[name]
    return [sys.executable, "-m", module]


def run(
    cmd: Sequence[str],
    *,
    env: dict[str, str] | None = None,
    cwd: str | Path | None = None,
    timeout: float | None = None,
    watch: dict[str, Callable[[float], bool]] | None = None,
) -> Measured:
    """Run `cmd` to completion (or until `timeout`), stdout and stderr to files (no pipe can fill up).

    `watch` maps a text to a callback called once, with the elapsed seconds, when the text first appears on
    stderr; when the callback returns True the process is stopped (used to cut octoDNS's 300 s rate-limit
    sleep short and project it)."""
    with tempfile.TemporaryDirectory(prefix="zonesync-bench-") as tmp:
        out_path, err_path, report = Path(tmp, "stdout"), Path(tmp, "stderr"), Path(tmp, "measure.json")
        with out_path.open("wb") as out, err_path.open("wb") as err:
            start = time.perf_counter()
            proc = subprocess.Popen(
                # -E: the wrapper ignores PYTHON* variables (its own imports stay out of a tool's
                # PYTHONPROFILEIMPORTTIME output); the tool gets the environment unchanged
                [sys.executable, "-E", "-S", str(MEASURE), str(report), *cmd],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                env=env,
                cwd=cwd,
                start_new_session=True,  # one process group: a kill stops the wrapper and the tool
            )
            state = {"killed": False}
            events: dict[str, float] = {}
            done = threading.Event()

            def kill() -> None:
                if not done.is_set():
                    state["killed"] = True
                    with contextlib.suppress(ProcessLookupError):  # exited meanwhile
                        os.killpg(proc.pid, signal.SIGKILL)

            timer = threading.Timer(timeout, kill) if timeout else None
            if timer:
                timer.daemon = True
                timer.start()
            watcher = None
            if watch:
                watcher = threading.Thread(
                    target=_watch, args=(err_path, watch, events, start, done, kill), daemon=True
                )
                watcher.start()
            _, status, usage = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - start
            done.set()
            proc.returncode = os.waitstatus_to_exitcode(status)
            if timer:
                timer.cancel()
            if watcher:
                watcher.join()
        measured = json.loads(report.read_text()) if report.exists() else {}
        return Measured(
            cmd=list(cmd),
            returncode=measured.get("returncode", proc.returncode),
            wall_s=measured.get("wall_s", wall),
            peak_mb=measured.get("maxrss_kb", usage.ru_maxrss) / 1024,
            stdout=out_path.read_text(errors="replace"),
            stderr=err_path.read_text(errors="replace"),
            killed=state["killed"],
            events=events,
        )


def _watch(
    path: Path,
    patterns: dict[str, Callable[[float], bool]],
    events: dict[str, float],
    start: float,
    done: threading.Event,
    kill: Callable[[], None],
) -> None:
    pending = dict(patterns)
    while pending and not done.wait(0.05):
        try:
            text = path.read_text(errors="replace")
        except OSError:  # pragma: no cover
            continue
        for pattern in list(pending):
            if pattern in text:
                elapsed = time.perf_counter() - start
                events[pattern] = elapsed
                if pending.pop(pattern)(elapsed):
                    kill()
                    return


def imports_module(cmd: Sequence[str], module: str, env: dict[str, str], cwd: str | Path) -> bool:
    """Whether running `cmd` imports `module` (from `python -X importtime`'s report on stderr)."""
    result = subprocess.run(
        list(cmd),
        env={**env, "PYTHONPROFILEIMPORTTIME": "1"},
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    return any(line.rsplit("|", 1)[-1].strip() == module for line in result.stderr.splitlines())
