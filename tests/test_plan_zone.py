"""`orchestrate.plan_zone`: a zone the mail checks cannot concern has its desired records built and checked
before its listing is awaited (the wait then hides that work); a mail zone waits for the live records, which
its checks and DKIM keys read."""

from __future__ import annotations

from pathlib import Path

import pytest

from zonesync.errors import InvalidZoneError
from zonesync.run.orchestrate import plan_zone
from zonesync.zonefile.load import load_zone_file


class ListingNotRead(Exception):
    pass


class Provider:
    def list_records(self, zone):
        raise ListingNotRead


def config(tmp_path: Path, text: str):
    path = tmp_path / "example.com.yaml"
    path.write_text("zone: example.com\n" + text)
    return load_zone_file(path)


CONFLICT = "records:\n  www:\n    - {type: CNAME, value: example.net.}\n    - {type: A, value: 192.0.2.1}\n"


def test_a_plain_zones_record_set_is_checked_before_the_listing(tmp_path: Path) -> None:
    with pytest.raises(InvalidZoneError, match="CNAME"):
        plan_zone(Provider(), config(tmp_path, CONFLICT), zone=None)  # type: ignore[arg-type]


def test_a_mail_zone_waits_for_the_live_records(tmp_path: Path) -> None:
    with pytest.raises(ListingNotRead):
        plan_zone(
            Provider(), config(tmp_path, CONFLICT + "  '@': {type: MX, value: 10 mx.example.net.}\n"), None
        )  # type: ignore[arg-type]
