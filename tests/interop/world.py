"""A user's project and the Cloudflare API emulator, both driven through the installed `zonesync` command:
the emulator runs as `zonesync emulator` (API and its own authoritative DNS), zones are written to
zones/*.yaml, applied with `zonesync apply` and read back with `zonesync export`."""

from __future__ import annotations

import contextlib
import json
import re
import textwrap
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness import ZONESYNC, Process, started, zonesync
from verify_env import MAIL_ZONE as VERIFY_ZONE
from verify_env import REVERSE_V4, REVERSE_V6

TOKEN = "interop-token"
ZONE = "example.com"
MAIL_ZONE = VERIFY_ZONE.replace(
    "proxied: true}\n", "proxied: true}\n  mta-sts: {type: A, value: 203.0.113.80}\n", 1
)
"""verify's test zone (maddy preset, one MX host, DMARC reports), with an address for the policy host."""


@dataclass
class World:
    root: Path
    api: str
    dns_port: int
    emulator: Process

    @property
    def env(self) -> dict[str, str]:
        return {"CLOUDFLARE_API_TOKEN": TOKEN, "CLOUDFLARE_BASE_URL": self.api, "ZONESYNC_RATE_LIMIT": "off"}

    def run(self, *args: str | Path) -> Any:
        return zonesync(*args, env=self.env, cwd=self.root)

    def write(self, text: str = MAIL_ZONE, name: str = ZONE) -> Path:
        path = self.root / "zones" / f"{name}.yaml"
        path.write_text(textwrap.dedent(text).lstrip())
        return path

    def apply(self) -> None:
        done = self.run("apply", "--yes")
        assert done.returncode == 0, done.stdout + done.stderr

    def export(self, zone: str = ZONE) -> str:
        done = self.run("export", zone)
        assert done.returncode == 0, done.stderr
        return done.stdout

    def control(self, action: str, body: Any = None) -> Any:
        base = self.api.rsplit("/client/v4", 1)[0]
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{base}/__emulator/{action}", data=data, method="POST" if data else "GET"
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            return json.loads(answer.read())

    def add(self, zone: str, rtype: str, name: str, content: str) -> None:
        self.control(
            "records", {"zone": zone, "record": {"type": rtype, "name": name, "content": content, "ttl": 1}}
        )

    def verify(self, *args: str | Path, nameserver: str) -> tuple[int, dict[str, Any]]:
        done = self.run("verify", "--format", "json", "--timeout", "3", "--nameserver", nameserver, *args)
        assert done.stdout.startswith("{"), done.stdout + done.stderr
        return done.returncode, json.loads(done.stdout)


@contextlib.contextmanager
def world(root: Path, *zones: str) -> Iterator[World]:
    """The emulator (`zonesync emulator`, with its DNS) holding `zones`, and an empty project in `root`."""
    (root / "zones").mkdir(parents=True, exist_ok=True)
    log = root / "emulator.log"
    argv: list[str | Path] = [
        ZONESYNC,
        "emulator",
        "--token",
        TOKEN,
        "--port",
        "0",
        "--dns-port",
        "0",
        "--rate-limit",
        "off",
    ]
    for zone in zones or (ZONE, REVERSE_V4, REVERSE_V6):
        argv += ["--zone", zone]
    found: dict[str, str] = {}

    def ready() -> bool:
        text = log.read_text() if log.exists() else ""
        api = re.search(r"listening on (http://\S+)", text)
        dns = re.search(r"DNS \(UDP and TCP\) on 127\.0\.0\.1:(\d+)", text)
        if api and dns:
            found.update(api=api.group(1), dns=dns.group(1))
        return bool(found)

    with started("zonesync emulator", argv, log, ready, env={"PYTHONUNBUFFERED": "1"}) as proc:
        yield World(root, found["api"], int(found["dns"]), proc)
