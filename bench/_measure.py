"""Run one command and report its wall time and peak memory: `python _measure.py OUT.json CMD ARGS...`.

Started as a small process of its own, because Linux carries a process's peak RSS across exec: a tool
spawned straight from the bench process (which hosts the emulator and its seeded zones) would report the
bench's RSS as its own. Spawned from here, a tool inherits at most this wrapper's ~10 MB, below any tool's
own peak. Wall time is measured here too, so the wrapper's start-up is not counted.

A tool may run child processes at the same time as itself (zonesync parses large zone files in one), and
the kernel's peak is per process: the largest one's, not the tree's. So the tree's memory is also sampled
every SAMPLE_S (the proportional set size, so pages parent and child share count once), and the peak
reported is the larger of the two. Sampling takes CPU from the tool it measures (it reads every process's
smaps_rollup, on a machine of two cores): SAMPLE_S is long enough for that to stay small in the wall time
and short enough for a child that lives a few tenths of a second to be sampled several times
(`python -m bench.sampler_cost` measures it; docs/performance.md, "How it measures").
"""

import json
import os
import sys
import threading
import time

SAMPLE_S = 0.02


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            with open(f"/proc/{current}/task/{current}/children") as fh:
                todo.extend(int(child) for child in fh.read().split())
        except OSError:
            continue
    return found


def _pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _sample(pid: int, done: threading.Event, peak: list[int]) -> None:
    while not done.wait(SAMPLE_S):
        tree = _descendants(pid)
        if len(tree) > 1:  # one process alone: its own peak (below) is exact
            peak[0] = max(peak[0], sum(_pss_kb(p) for p in tree))


def main() -> None:
    out, cmd = sys.argv[1], sys.argv[2:]
    start = time.perf_counter()
    pid = os.posix_spawnp(cmd[0], cmd, os.environ)
    done, tree_peak = threading.Event(), [0]
    sampler = threading.Thread(target=_sample, args=(pid, done, tree_peak), daemon=True)
    sampler.start()
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - start
    done.set()
    sampler.join()
    code = os.waitstatus_to_exitcode(status)
    with open(out, "w") as fh:
        json.dump(
            {
                "wall_s": wall,
                "maxrss_kb": max(usage.ru_maxrss, tree_peak[0]),
                "process_maxrss_kb": usage.ru_maxrss,
                "tree_peak_kb": tree_peak[0],
                "returncode": code,
            },
            fh,
        )
    sys.exit(code if code >= 0 else 128 - code)


if __name__ == "__main__":
    main()
