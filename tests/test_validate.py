"""Whole-set checks: CNAME exclusivity and duplicates, with both places named; `zonesync validate`."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from zonesync.cli import cli


def validate(tmp_path: Path, body: str):
    path = tmp_path / "example.com.yaml"
    path.write_text("zone: example.com\n" + body)
    return CliRunner().invoke(cli, ["validate", str(path)], catch_exceptions=False), path


def test_cname_beside_other_record(tmp_path: Path) -> None:
    result, path = validate(
        tmp_path, "records:\n  www:\n    - {type: CNAME, value: x.net.}\n    - {type: TXT, value: hi}\n"
    )
    assert result.exit_code == 1
    assert (
        f"{path}:4: records.www[0].value: CNAME at www.example.com cannot sit beside other records (TXT at line 5)"
        in result.output
    )


def test_cname_alone_at_apex_is_fine(tmp_path: Path) -> None:
    result, _ = validate(tmp_path, "records:\n  '@': {type: CNAME, value: site.example.net.}\n")
    assert result.exit_code == 0, result.output
    assert "1 record OK" in result.output


def test_duplicate_values(tmp_path: Path) -> None:
    result, _ = validate(
        tmp_path, "records:\n  a:\n    type: AAAA\n    values: ['2001:db8::1', '2001:DB8:0::1']\n"
    )
    assert result.exit_code == 1
    assert "duplicate AAAA value at a.example.com (already declared at line 5)" in result.output


def test_two_cnames(tmp_path: Path) -> None:
    result, _ = validate(tmp_path, "records:\n  a:\n    type: CNAME\n    values: [x.net., y.net.]\n")
    assert result.exit_code == 1 and "more than one CNAME" in result.output


def test_declared_record_matching_ignore_rule(tmp_path: Path) -> None:
    body = "ignore: [{name: '_acme*'}]\nrecords:\n  _acme-challenge: {type: TXT, value: x}\n"
    result, _ = validate(tmp_path, body)
    assert result.exit_code == 1 and "also matched by an `ignore` rule" in result.output


def test_validate_needs_no_token(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("CLOUDFLARE_API_TOKEN", raising=False)
    monkeypatch.setenv("CLOUDFLARE_BASE_URL", "http://127.0.0.1:9/client/v4")  # nothing listens there
    result, _ = validate(tmp_path, "records:\n  a: {type: A, value: 192.0.2.1}\n")
    assert result.exit_code == 0, result.output


def test_same_zone_in_two_files(tmp_path: Path) -> None:
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "example.com.yaml").write_text("zone: example.com\n")
    files = [str(tmp_path / folder / "example.com.yaml") for folder in ("a", "b")]
    result = CliRunner().invoke(cli, ["validate", *files])
    assert result.exit_code == 1 and "is also declared in" in result.output


def test_hand_written_mail_records_are_checked_with_warnings(tmp_path: Path) -> None:
    body = "records:\n  '@':\n    type: TXT\n    values: ['v=spf1 mx -all', 'v=spf1 a -all']\n"
    result, path = validate(tmp_path, body)
    assert result.exit_code == 0, result.output
    assert f"warning: {path}:" in result.output and "SPF" in result.output
