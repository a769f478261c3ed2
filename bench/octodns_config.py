"""octoDNS configuration generated from the same zone data: a YamlProvider over octoDNS-format zone files and
octodns-cloudflare's CloudflareProvider pointed at the emulator through its `api_url` setting."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from bench.zonedata import Rec, octodns_yaml

MAX_WORKERS = 8
"""octoDNS plans zones in this many threads (`manager.max_workers`, default 1): the same as zonesync's
zone concurrency, so octoDNS is not slowed by a setting a user would change. (Its threads each list the
account's zones before the shared zone cache is filled: a few more `GET /zones` than with 1 worker.)"""


def write(
    directory: Path,
    zones: Mapping[str, Sequence[Rec]],
    api_url: str,
    token: str,
    *,
    pagerules: bool = True,
    workers: int = MAX_WORKERS,
) -> Path:
    """Zone files under directory/octodns-zones/, config at directory/octodns.yaml (returned)."""
    zone_dir = directory / "octodns-zones"
    zone_dir.mkdir(parents=True, exist_ok=True)
    for zone, records in zones.items():
        (zone_dir / f"{zone}.yaml").write_text(octodns_yaml(records))
    lines = [
        "manager:",
        f"  max_workers: {workers}",
        "providers:",
        "  zonefiles:",
        "    class: octodns.provider.yaml.YamlProvider",
        f"    directory: {json.dumps(str(zone_dir))}",
        "    enforce_order: false",
        "  cloudflare:",
        "    class: octodns_cloudflare.CloudflareProvider",
        f"    token: {json.dumps(token)}",
        f"    api_url: {json.dumps(api_url)}",
        f"    pagerules: {'true' if pagerules else 'false'}",
        "zones:",
    ]
    for zone in zones:
        lines += [f"  {zone}.:", "    sources: [zonefiles]", "    targets: [cloudflare]"]
    config = directory / "octodns.yaml"
    config.write_text("\n".join(lines) + "\n")
    return config
