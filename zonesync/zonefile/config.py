"""One zone file, checked: its zone, defaults, records and `mail:` block (made by `zonesync.zonefile.load`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zonesync.model import IgnoreRule, Record, Source
from zonesync.zonefile.yaml_lines import LineDict


@dataclass(frozen=True)
class ZoneConfig:
    """One zone file, checked: its zone, defaults and records; the `mail:` block as parsed (`zonesync.mail`
    reads it). Made by `zonesync.zonefile.load`."""

    path: str
    zone: str
    ttl: int
    proxied: bool
    ignore: tuple[IgnoreRule, ...]
    records: tuple[Record, ...]
    mail: LineDict | None = None
    mail_line: int = 0
    max_changes: Any = None
    max_changes_line: int = 0
    enterprise: bool = False
    dnssec: bool | None = None
    """`dnssec: true|false`: signing wanted on or off; None (no key) leaves DNSSEC as it is."""
    dnssec_line: int = 0

    @property
    def base_dir(self) -> Path:
        """Where relative key paths start: the folder that holds zones/ (or the file's own folder)."""
        parent = Path(self.path).resolve().parent
        return parent.parent if parent.name == "zones" else parent

    def source(self, field: str | None = None, line: int | None = None) -> Source:
        return Source(self.path, line, field)
