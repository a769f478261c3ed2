"""octoDNS configuration generated from the same zone data: a YamlProvider over octoDNS-format zone files and
octodns-cloudflare's CloudflareProvider pointed at the emulator through its `api_url` setting."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from bench.zonedata import Rec, octodns_yaml

MAX_WORKERS = 8
"""Tuned: octoDNS plans zones in this many threads (`manager.max_workers`, default 1), as many as zonesync.
(Its threads each list the account's zones before the shared zone cache is filled: a few more `GET /zones`
than with 1 worker.)"""
RECORDS_PER_PAGE = 5_000_000
"""Tuned: octodns-cloudflare's `records_per_page` (default 100) at Cloudflare's maximum `per_page`."""


def write(
    directory: Path,
    zones: Mapping[str, Sequence[Rec]],
    api_url: str,
    token: str,
    *,
    tuned: bool,
) -> Path:
    """Zone files under directory/octodns-zones/, config at directory/octodns-<tuned|default>.yaml
    (returned). Default: octoDNS as installed, every setting at its default. Tuned: what a user comparing
    tools would set: `max_workers` 8, `records_per_page` at Cloudflare's maximum, `pagerules: false` (no
    page-rules request per zone; zonesync does not manage page rules either)."""
    zone_dir = directory / "octodns-zones"
    zone_dir.mkdir(parents=True, exist_ok=True)
    for zone, records in zones.items():
        (zone_dir / f"{zone}.yaml").write_text(octodns_yaml(records))
    lines = [*(["manager:", f"  max_workers: {MAX_WORKERS}"] if tuned else []), "providers:"]
    lines += [
        "  zonefiles:",
        "    class: octodns.provider.yaml.YamlProvider",
        f"    directory: {json.dumps(str(zone_dir))}",
        "    enforce_order: false",
        "  cloudflare:",
        "    class: octodns_cloudflare.CloudflareProvider",
        f"    token: {json.dumps(token)}",
        f"    api_url: {json.dumps(api_url)}",
        *(["    pagerules: false", f"    records_per_page: {RECORDS_PER_PAGE}"] if tuned else []),
        "zones:",
    ]
    for zone in zones:
        lines += [f"  {zone}.:", "    sources: [zonefiles]", "    targets: [cloudflare]"]
    config = directory / f"octodns-{'tuned' if tuned else 'default'}.yaml"
    config.write_text("\n".join(lines) + "\n")
    return config
