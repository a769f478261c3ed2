"""Run one command and report its wall time and peak memory: `python _measure.py OUT.json CMD ARGS...`.

Started as a small process of its own, because Linux carries a process's peak RSS across exec: a tool
spawned straight from the bench process (which hosts the emulator and its seeded zones) would report the
bench's RSS as its own. Spawned from here, a tool inherits at most this wrapper's ~10 MB, below any tool's
own peak. Wall time is measured here too, so the wrapper's start-up is not counted.
"""

import json
import os
import sys
import time


def main() -> None:
    out, cmd = sys.argv[1], sys.argv[2:]
    start = time.perf_counter()
    pid = os.posix_spawnp(cmd[0], cmd, os.environ)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    with open(out, "w") as fh:
        json.dump({"wall_s": wall, "maxrss_kb": usage.ru_maxrss, "returncode": code}, fh)
    sys.exit(code if code >= 0 else 128 - code)


if __name__ == "__main__":
    main()
