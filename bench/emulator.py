"""The project's Cloudflare API emulator, started in the bench process (its own threads), seeded with zones.

zonesync and octoDNS always run as separate processes, so the emulator's memory is never counted as theirs.
Each tool run gets a fresh emulator: every tool starts from the same seeded zones and its own rate-limit
window. `BENCH_EMULATOR=module:Class` selects another implementation with the same interface.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from bench.zonedata import Rec, api_record

TOKEN = "bench-token-not-secret"
CLOUDFLARE_RATE_LIMIT = (1200, 300)
"""Cloudflare's global API limit: 1,200 requests per 5 minutes per user or token."""


def emulator_class() -> Any:
    spec = os.environ.get("BENCH_EMULATOR")
    if spec:
        module, _, attr = spec.partition(":")
        return getattr(importlib.import_module(module), attr or "Emulator")
    from zonesync.emulator.server import Emulator

    return Emulator


@contextmanager
def running(
    zones: Mapping[str, Sequence[Rec]],
    *,
    latency: float,
    rate_limit: tuple[int, int] | None = None,
    plan: str = "free",
) -> Iterator[Any]:
    """A started emulator holding `zones` (on `plan`), stats reset, stopped on exit."""
    cls = emulator_class()
    emu = cls(
        tokens=(TOKEN,),
        zones=tuple(zones),
        latency=latency,
        rate_limit=rate_limit or 0,
        port=0,
        **_plan_kwargs(cls, plan),
    )
    emu.start()
    try:
        for zone, records in zones.items():
            for rec in records:
                emu.add_record(zone, api_record(zone, rec))
        if hasattr(
            emu, "warm"
        ):  # the emulator's own first rendering is not the tool's time (docs/performance.md)
            emu.warm()
        emu.reset_stats()
        yield emu
    finally:
        emu.stop()


def _plan_kwargs(cls: Any, plan: str) -> dict[str, Any]:
    import inspect

    params = inspect.signature(cls).parameters
    legacy_id = "pro" if plan == "paid" else plan  # Cloudflare's `plan.legacy_id`: free, pro, business...
    return {"plan": legacy_id} if "plan" in params else {}


def env_offline() -> dict[str, str]:
    """This environment without any CLOUDFLARE_* variable: nothing can reach a real account."""
    return {k: v for k, v in os.environ.items() if not k.startswith("CLOUDFLARE_")}


def env(emu: Any) -> dict[str, str]:
    """The environment zonesync runs in: the emulator's URL through the SDK's own variable."""
    return {**env_offline(), "CLOUDFLARE_API_TOKEN": TOKEN, "CLOUDFLARE_BASE_URL": emu.url, "NO_COLOR": "1"}


def requests(emu: Any) -> tuple[int, dict[str, int]]:
    stats = emu.stats()
    return int(stats["total"]), dict(stats.get("by_route") or {})
