"""Two runs started at once share the token's budget through Cloudflare's `Ratelimit` headers: neither
gets a 429, both converge. Real processes (`python -m zonesync apply`) against one emulator."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from emu_records import user_records

from zonesync.emulator.server import Emulator

LIMIT, WINDOW = 30, 2.0
ZONES_EACH = 10


def write_zones(directory: Path, prefix: str) -> list[str]:
    (directory / "zones").mkdir(parents=True)
    names = [f"{prefix}{i:02d}.example" for i in range(ZONES_EACH)]
    for i, name in enumerate(names):
        (directory / "zones" / f"{name}.yaml").write_text(
            f"zone: {name}\nrecords:\n  www:\n    type: A\n    value: 192.0.2.{i + 1}\n"
            f"  '@':\n    type: TXT\n    value: run {prefix}\n"
        )
    return names


def applies_at_once(
    tmp_path: Path, emu: Emulator, tokens: tuple[str, str]
) -> tuple[list[subprocess.Popen], list[str]]:
    """`zonesync apply --yes` in `tmp_path`/a and /b at once, each with its token; the processes, outputs."""
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "zonesync", "apply", "--yes"],
            cwd=tmp_path / d,
            env={
                **os.environ,
                "CLOUDFLARE_API_TOKEN": token,
                "CLOUDFLARE_BASE_URL": emu.url,
                "NO_COLOR": "1",
            },
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for d, token in zip(("a", "b"), tokens, strict=True)
    ]
    return runs, [p.communicate(timeout=120)[0] for p in runs]


def test_two_applies_at_once_share_the_budget_without_a_429(tmp_path: Path) -> None:
    first, second = write_zones(tmp_path / "a", "a"), write_zones(tmp_path / "b", "b")
    with Emulator(tokens=("test-token",), zones=(*first, *second), rate_limit=(LIMIT, WINDOW)) as emu:
        runs, outputs = applies_at_once(tmp_path, emu, ("test-token", "test-token"))
        stats = emu.stats()
        for proc, out in zip(runs, outputs, strict=True):
            assert proc.returncode == 0, out
        # each: 1 zone-list page, 10 listings, 10 batches: 42 requests, more than one window's 30
        assert stats["total"] == 2 * (1 + 2 * ZONES_EACH) > LIMIT
        assert stats["by_status"] == {"200": stats["total"]}, stats["by_status"]
        for prefix, names in (("a", first), ("b", second)):
            for i, name in enumerate(names):
                got = {(r["name"], r["type"], r["content"]) for r in user_records(emu, name)}
                assert got == {(f"www.{name}", "A", f"192.0.2.{i + 1}"), (name, "TXT", f'"run {prefix}"')}
