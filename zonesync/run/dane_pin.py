"""`zonesync dane pin`: record an MX host's key pin in its zone file's `mail.dane`, from the key the server
presents after STARTTLS (fetched once) or, for the next key, from its certificate or key file.

Which pins change (pure, `pin_change`), then the zone-file editor (`zonefile.edit`, `record_pins`), which
keeps every other line and comment.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from zonesync.errors import ZonesyncError
from zonesync.mail.dane_spec import DaneHost
from zonesync.zonefile.config import ZoneConfig


@dataclass(frozen=True)
class PinChange:
    current: str | None
    next: str | None
    message: str
    changed: bool = True


def pin_change(existing: DaneHost | None, presented: str) -> PinChange:
    """The pins after seeing `presented` on the wire (the key the server uses now, so it becomes `current`)."""
    if existing is None or not existing.pins:
        return PinChange(presented, None, f"recorded the current pin {presented}")
    if presented == existing.current:
        return PinChange(
            existing.current, existing.next, "the server presents the current key: nothing to change", False
        )
    if presented == existing.next:
        return PinChange(
            presented,
            None,
            f"the server uses the next key now: {presented} is current, the old pin goes at the next apply; "
            "record a new `next` before the next key change",
        )
    return PinChange(
        presented,
        existing.next,
        f"the server presents a key no recorded pin names ({presented}): senders using DANE hold the mail "
        "until apply publishes it; recorded it as current",
    )


def next_change(existing: DaneHost | None, pin: str, file: Path) -> PinChange:
    """The pins after recording `pin` (the key in `file` the server will switch to) as `next`."""
    if existing is None or not existing.current:
        raise ZonesyncError(
            "no current pin is recorded yet: run `zonesync dane pin HOST` first (it reads the key the server "
            "uses now), then add the next one"
        )
    if pin in existing.pins:
        return PinChange(existing.current, existing.next, f"the key in {file} is already recorded", False)
    return PinChange(
        existing.current,
        pin,
        f"recorded the next pin {pin} (from {file}): apply, then wait twice the TLSA TTL before the server uses it",
    )


def zone_file_for(host: str, zone: str | None) -> Path:
    """The zone file `mail.dane` of `host` goes in: `zone` (a zone name or path), else the zone file in
    zones/ whose zone is the longest suffix of the host."""
    from zonesync.zonefile.locate import default_zone_files, find_zone_file, zone_from_file_name

    if zone is not None:
        return find_zone_file(zone)
    best: tuple[int, Path] | None = None
    for path in default_zone_files():
        name = zone_from_file_name(str(path))
        if name and (host == name or host.endswith("." + name)) and (best is None or len(name) > best[0]):
            best = (len(name), path)
    if best is None:
        raise ZonesyncError(f"no zone file in zones/ holds {host}: name it with --zone ZONE")
    return best[1]


def _existing(config: ZoneConfig, host: str) -> tuple[DaneHost | None, str]:
    """The host's `mail.dane` entry (None without one) and its key as written in the file."""
    from zonesync.mail import mail_spec

    spec = mail_spec(config)
    if spec is None:
        raise ZonesyncError(
            f"{config.path}: no `mail:` block: add one with the MX hosts first (docs/mail.md)"
        )
    for entry in spec.dane:
        if entry.host == host:
            return entry, (entry.source.field or "").removeprefix("mail.dane.")
    zone = config.zone
    if host == zone:
        return None, "@"
    return None, host[: -len(zone) - 1] if host.endswith("." + zone) else host + "."


def record_pins(config: ZoneConfig, host: str, change: PinChange) -> None:
    """Write `change` into `mail.dane.<host>` of the zone file with the zone-file editor (`zonefile.edit`):
    every line outside the host's entry is kept byte for byte. Raises ZoneEditError (a ZonesyncError)
    when the edit cannot be made that way, or when the file changed meanwhile."""
    from zonesync.zonefile.edit import YamlEdit, write_atomic

    _entry, key = _existing(config, host)
    path = Path(config.path)
    original = path.read_text(encoding="utf-8")
    doc = YamlEdit(original, str(path))
    pins = {"current": change.current, "next": change.next}
    entry = ("mail", "dane", key)
    if not doc.has(("mail", "dane")):
        doc.put(("mail",), "dane", {key: _present(pins)})
    elif not doc.has(entry) or not _block_mapping(doc.get(entry)):
        # new, or a flow mapping `{current: ...}`: the entry is written anew as a block (its other keys kept)
        old = doc.get(entry) if doc.has(entry) else {}
        kept = {k: v for k, v in old.items() if k not in pins} if isinstance(old, dict) else {}
        doc.put(("mail", "dane"), key, {**_present(pins), **kept})
    else:
        for name, value in pins.items():
            if value is None:
                doc.delete_key(entry, name)
            else:
                doc.set_scalar(entry, name, value)
    write_atomic(path, doc.text, expected=original)


def _present(pins: dict[str, str | None]) -> dict[str, str]:
    return {k: v for k, v in pins.items() if v is not None}


def _block_mapping(node: object) -> bool:
    from ruamel.yaml.comments import CommentedMap

    return isinstance(node, CommentedMap) and not node.fa.flow_style()


def existing_entry(config: ZoneConfig, host: str) -> DaneHost | None:
    return _existing(config, host)[0]
