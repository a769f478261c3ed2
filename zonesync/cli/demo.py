"""`make demo`: the main job end to end on the bundled emulator, exactly as a user would type it.

Starts `zonesync emulator` on a free loopback port with the zones of zones/*.yaml (empty), then runs
`zonesync validate`, `plan`, `apply --yes` and `plan` again (which must show no changes) as real
commands, then `zonesync verify` against the emulator's own nameserver (`--dns-port`); the MTA-STS policy
of mail.example (`host: worker`) is fetched over HTTPS from the Worker that apply deployed, which the
emulator's edge runs (`--edge-port`, its CA trusted through `--ca-file`). It works in a
scratch copy (.demo/) so generated DKIM keys never land in the repository.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from zonesync.zonefile.load import load_zone_file
from zonesync.zonefile.locate import default_zone_files

DEMO_TOKEN = "demo-token-not-secret"


def _start_emulator(
    zones: list[str], state: Path, ca_file: Path
) -> tuple[subprocess.Popen[str], str, str, str]:
    cmd = [
        sys.executable,
        "-m",
        "zonesync",
        "emulator",
        "--port",
        "0",
        "--token",
        DEMO_TOKEN,
        "--state",
        str(state),
        "--dns-port",
        "0",
        "--edge-port",
        "0",
        "--ca-file",
        str(ca_file),
    ]
    for zone in zones:
        cmd += ["--zone", zone]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if "http://" not in line:
        proc.kill()
        raise SystemExit(f"demo: the emulator did not start: {line.strip()}")
    dns_line = proc.stdout.readline()  # "DNS (UDP and TCP) on 127.0.0.1:PORT"
    edge_line = proc.stdout.readline()  # "Workers edge (HTTPS) on 127.0.0.1:PORT; CA certificate in FILE"
    edge = edge_line.split(" on ", 1)[1].split(";")[0].strip()
    return proc, line.strip().split()[-1], dns_line.strip().split()[-1], edge


def _run(args: list[str], env: dict[str, str], cwd: Path, expect: int = 0) -> None:
    print(f"\n$ zonesync {' '.join(args)}", flush=True)
    result = subprocess.run([sys.executable, "-m", "zonesync", *args], env=env, cwd=cwd, check=False)
    if result.returncode != expect:
        raise SystemExit(f"demo: `zonesync {' '.join(args)}` exited {result.returncode}, expected {expect}")


def main() -> None:
    root = Path.cwd()
    work = root / ".demo"
    shutil.rmtree(work, ignore_errors=True)
    (work / "zones").mkdir(parents=True)
    files = default_zone_files(root / "zones")
    if not files:
        raise SystemExit("demo: no zone files under zones/")
    for f in files:
        shutil.copy(f, work / "zones" / f.name)
    zones = [load_zone_file(f).zone for f in files]

    ca_file = work / "edge-ca.pem"
    proc, url, nameserver, edge = _start_emulator(zones, work / "emulator-state.json", ca_file)
    print(
        f"Cloudflare API emulator on {url} (their nameserver on {nameserver}) with empty zones: {', '.join(zones)}"
    )
    env = {**os.environ, "CLOUDFLARE_API_TOKEN": DEMO_TOKEN, "CLOUDFLARE_BASE_URL": url, "NO_COLOR": "1"}
    try:
        _run(["validate"], env, work)
        _run(["plan"], env, work)
        _run(["apply", "--yes"], env, work)
        _run(["plan", "--exit-code"], env, work, expect=0)
        # The MTA-STS policy comes from the Worker on the emulator's edge (mta-sts.<zone> resolves to
        # Cloudflare's 100:: there, so --connect-to points it at the edge, as curl's option does).
        connect = [f"--connect-to=mta-sts.{z}:443:{edge}" for z in zones]
        _run(["verify", "--nameserver", nameserver, *connect, "--ca-file", str(ca_file)], env, work, expect=0)
        print(
            "\nDemo done: the second plan is empty, so the live zones match zones/*.yaml, and verify read them back "
            "from DNS as a mail sender would."
        )
    finally:
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    main()
