"""DMARC as RFC 9989 defines it: zonesync's verdicts on a table of records agree with checkdmarc's (5.16 and
later follow RFC 9989), the `dmarc:` block never generates pct/rf/ri, `percent:` is refused at its line in
favour of `testing: true` (t=y), and np= is generated and validated."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from packaging.version import Version

from zonesync.errors import ZoneFileError
from zonesync.mail import dmarc, mail_records
from zonesync.zonefile.load import load_zone_file

checkdmarc = pytest.importorskip("checkdmarc")
import checkdmarc.dmarc as cd_dmarc  # noqa: E402

ZONE = "example.com"
RUA = "rua=mailto:dmarc@example.com"

# record -> (zonesync verdict, what checkdmarc must say): "invalid" (an error: receivers ignore the record or
# the tag), "removed" (a warning: the tag is gone in RFC 9989), "unknown" (a warning: ignored), "ok".
TABLE = [
    (f"v=DMARC1; p=reject; {RUA}", "ok"),
    (f"v=DMARC1; p=none; t=y; np=reject; psd=n; {RUA}", "ok"),
    (f"v=DMARC1; p=quarantine; sp=none; np=reject; {RUA}", "ok"),
    (f"v=DMARC1; p=reject; pct=50; {RUA}", "removed"),
    (f"v=DMARC1; p=reject; pct=500; {RUA}", "removed"),  # no longer validated (RFC 9989 §4.7)
    (f"v=DMARC1; p=reject; rf=afrf; {RUA}", "removed"),
    (f"v=DMARC1; p=reject; ri=3600; {RUA}", "removed"),
    (f"v=DMARC1; p=reject; foo=bar; {RUA}", "unknown"),
    (f"v=DMARC1; p=maybe; {RUA}", "invalid"),
    (f"v=DMARC1; p=none; np=bogus; {RUA}", "invalid"),
    (f"v=DMARC1; p=none; sp=sometimes; {RUA}", "invalid"),
    (f"v=DMARC1; p=none; t=x; {RUA}", "invalid"),
    (f"v=DMARC1; p=none; psd=q; {RUA}", "invalid"),
    (f"v=DMARC1; p=none; adkim=x; {RUA}", "invalid"),
]


def _zonesync(record: str) -> str:
    found = dmarc.check_record(record, ZONE)
    if any(level == "error" for level, _ in found):
        return "invalid"
    messages = " ".join(m for _, m in found)
    if "removed by RFC 9989" in messages:
        return "removed"
    if "is not a DMARC tag: receivers ignore it" in messages:
        return "unknown"
    return "ok"


def _checkdmarc(record: str) -> str:
    try:
        parsed = cd_dmarc.parse_dmarc_record(record, ZONE, nameservers=["127.0.0.1"], timeout=0.1)
    except cd_dmarc.DMARCError:
        return "invalid"
    warnings = " ".join(parsed.get("warnings", []))
    if "was used instead" in warnings:
        # RFC 9989 §4.8: a receiver discards an invalid value for the default; both call the value wrong,
        # zonesync as an error (the owner's intent is lost), checkdmarc as a warning (docs/mail.md)
        return "invalid"
    if "removed in RFC 9989" in warnings:
        return "removed"
    if "Unknown DMARC tag" in warnings:
        return "unknown"
    return "ok"


def test_checkdmarc_follows_rfc_9989() -> None:
    from importlib.metadata import version

    assert Version(version("checkdmarc")) >= Version("5.16")


@pytest.mark.parametrize(("record", "verdict"), TABLE)
def test_verdicts_agree_with_checkdmarc(record: str, verdict: str) -> None:
    assert _zonesync(record) == verdict
    assert _checkdmarc(record) == verdict


def test_missing_p_with_a_rua_is_read_as_none() -> None:
    # RFC 9989 §4.10.1: a record without a valid p= but with a valid rua is read as p=none
    (warning,) = [m for lvl, m in dmarc.check_record(f"v=DMARC1; {RUA}", ZONE) if "p=" in m]
    assert "p=none" in warning
    parsed = cd_dmarc.parse_dmarc_record(f"v=DMARC1; {RUA}", ZONE, nameservers=["127.0.0.1"], timeout=0.1)
    assert parsed["tags"]["p"]["value"] == "none"


def _zone(tmp_path: Path, block: str) -> Path:
    path = tmp_path / "example.com.yaml"
    path.write_text(
        f"zone: example.com\nmail:\n  mx: [{{host: mx, priority: 10}}]\n  dmarc:\n{textwrap.indent(block, '    ')}"
    )
    return path


def test_percent_is_an_error_at_its_line_pointing_at_testing(tmp_path: Path) -> None:
    path = _zone(tmp_path, "policy: reject\npercent: 50\n")
    with pytest.raises(ZoneFileError) as err:
        mail_records(load_zone_file(str(path), path.read_text()), None, generate_keys=False)
    text = str(err.value)
    assert text.startswith(f"{path}:6: mail.dmarc.percent:")
    assert "testing: true" in text and "t=y" in text


def test_testing_and_nonexistent_policy_generate_t_and_np(tmp_path: Path) -> None:
    path = _zone(
        tmp_path,
        f"policy: quarantine\nnonexistent_policy: reject\ntesting: true\nrua: ['mailto:dmarc@{ZONE}']\n",
    )
    records = mail_records(load_zone_file(str(path), path.read_text()), None, generate_keys=False).records
    (rec,) = [r for r in records if r.name == f"_dmarc.{ZONE}"]
    assert rec.value == f"v=DMARC1; p=quarantine; np=reject; t=y; rua=mailto:dmarc@{ZONE}"
    assert _checkdmarc(rec.value) == "ok"
    for removed in ("pct=", "rf=", "ri="):
        assert removed not in rec.value


def test_presets_never_generate_removed_tags(tmp_path: Path) -> None:
    from zonesync.mail.presets import PRESETS

    for preset in PRESETS:
        path = tmp_path / f"{preset}.yaml"
        path.write_text(f"zone: example.com\nmail:\n  preset: {preset}\n")
        try:
            config = load_zone_file(str(path), path.read_text())
        except ZoneFileError:
            continue  # a preset that needs more keys
        for rec in mail_records(config, None, generate_keys=False).records:
            if dmarc.is_dmarc(rec.value):
                assert not {t.strip().split("=")[0] for t in rec.value.split(";")} & set(dmarc.REMOVED), (
                    preset
                )
