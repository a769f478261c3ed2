"""Where the zone files are: `zones/<zone>.yaml`, found by zone name or by path, and the zone a file's name
declares. Nothing here parses a file: a run knows its files and their zones before the YAML parser, the
record checks or the SDK are loaded (the live zones' reads and the parse process start from this)."""

from __future__ import annotations

from pathlib import Path

from zonesync.errors import ZoneFileError
from zonesync.model import Source

SUFFIXES = (".yaml", ".yml")


def find_zone_file(zone_or_path: str) -> Path:
    """A zone file path as given, or `zones/<zone>.yaml` for a zone name."""
    path = Path(zone_or_path)
    if path.is_file():
        return path
    candidate = Path("zones") / f"{zone_or_path.rstrip('.')}.yaml"
    if candidate.is_file():
        return candidate
    raise ZoneFileError(
        Source(zone_or_path), f"no such zone file (looked for {zone_or_path} and {candidate})"
    )


def default_zone_files(directory: str | Path = "zones") -> list[Path]:
    return sorted(p for p in Path(directory).glob("*.y*ml") if p.suffix in SUFFIXES)


def zone_from_file_name(path: str) -> str | None:
    """`zones/example.com.yaml` -> `example.com` (octoDNS's rule too: the file is named after its zone)."""
    name = Path(path).name
    for suffix in SUFFIXES:
        if name.lower().endswith(suffix):
            return name[: -len(suffix)].rstrip(".").lower() or None
    return name.lower() or None


def zone_of_path(path: str | Path) -> str | None:
    """The zone a valid file at `path` declares, known from its name alone (a valid file's `zone:` must match
    it): lets the live zone be read while the file is parsed. None when the name does not tell."""
    from zonesync.zonefile import names

    named = zone_from_file_name(str(path))
    if named is None:
        return None
    try:
        return names.zone_name(named)
    except ValueError:
        return None
