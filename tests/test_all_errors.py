"""Every error of every zone file in one run, sorted by file and line, as a compiler lists them
(issue 21, item 18): `validate`, `plan` and `apply` show them all before exiting non-zero, and YAML shape
mistakes (a tab, a key one indent too far left, a block left empty) get a hint saying how to fix them."""

from __future__ import annotations

from pathlib import Path

import pytest
from clirun import run

from zonesync.emulator.server import Emulator

A = """\
zone: a.example
records:
  www:
    type: A
    value: 192.0.2.1
    tll: 300
  api:
    type: AAAA
    value: not-an-address
  old:
    type: CNAME
    value: www
    ttl: 5
"""
B = """\
zone: b.example
records:
  "@":
    type: TXT
    vlaue: hello
"""
EXPECTED = [
    "zones/a.example.yaml:6: records.www.tll: unknown key 'tll' (did you mean 'ttl'?)",
    "zones/a.example.yaml:9: records.api.value: invalid AAAA value 'not-an-address'",
    'zones/a.example.yaml:13: records.old.ttl: TTL 5 is refused by Cloudflare: use "auto" or 60..86400',
    "zones/b.example.yaml:5: records.@.vlaue: unknown key 'vlaue' (did you mean 'value'?)",
]


@pytest.fixture
def typos(workdir: Path) -> Path:
    # b first on disk and on the command line: the report is sorted all the same
    (workdir / "zones" / "b.example.yaml").write_text(B)
    (workdir / "zones" / "a.example.yaml").write_text(A)
    return workdir


def error_lines(output: str) -> list[str]:
    """The error lines (a single error is printed on the `Error:` line itself)."""
    lines = (line.removeprefix("Error: ") for line in output.splitlines())
    return [line for line in lines if line.startswith("zones/")]


def assert_all_four(output: str) -> None:
    lines = error_lines(output)
    assert len(lines) == len(EXPECTED), output
    for line, expected in zip(lines, EXPECTED, strict=True):
        assert line.startswith(expected), (line, expected)
    assert "4 errors" in output


def test_validate_reports_every_error_of_every_file_sorted(typos: Path) -> None:
    result = run("validate", "zones/b.example.yaml", "zones/a.example.yaml")
    assert result.exit_code == 1
    assert_all_four(result.output)
    assert "Traceback" not in result.output


@pytest.mark.parametrize("command", [("plan",), ("apply", "--yes")])
def test_plan_and_apply_report_every_error_before_any_request(
    typos: Path, command: tuple[str, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    emu = Emulator(tokens=("test-token",), zones=("a.example", "b.example"), rate_limit=0).start()
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", "test-token")
    monkeypatch.setenv("CLOUDFLARE_BASE_URL", emu.url)
    try:
        result = run(*command, "zones/b.example.yaml", "zones/a.example.yaml")
        assert result.exit_code == 1
        assert_all_four(result.output)
        assert emu.records("a.example") == [] and emu.records("b.example") == []
    finally:
        emu.stop()


def test_a_syntax_error_stops_its_file_only(workdir: Path) -> None:
    (workdir / "zones" / "a.example.yaml").write_text("zone: a.example\nrecords: [unclosed\n")
    (workdir / "zones" / "b.example.yaml").write_text(B)
    result = run("validate")
    assert result.exit_code == 1
    lines = error_lines(result.output)
    assert len(lines) == 2, result.output
    assert lines[0].startswith("zones/a.example.yaml:") and "YAML syntax" in lines[0]
    assert lines[1].startswith(EXPECTED[3])


def test_errors_of_the_whole_record_set_are_listed_with_the_others(workdir: Path) -> None:
    """Checks that need every record (a CNAME beside another record) are reported with another file's
    per-record errors, not after them in a second run."""
    (workdir / "zones" / "a.example.yaml").write_text(
        "zone: a.example\nrecords:\n  www:\n    - {type: CNAME, value: x.example.}\n    - {type: A, value: 192.0.2.1}\n"
    )
    (workdir / "zones" / "b.example.yaml").write_text(B)
    result = run("validate")
    assert result.exit_code == 1
    lines = error_lines(result.output)
    assert len(lines) == 2, result.output
    assert "CNAME at www.a.example cannot sit beside" in lines[0]
    assert lines[1].startswith(EXPECTED[3])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "zone: a.example\nrecords:\n  www:\n\ttype: A\n    value: 192.0.2.1\n",
            "zones/a.example.yaml:4: YAML syntax: YAML forbids tabs for indentation: use spaces",
        ),
        (
            "zone: a.example\nmail:\n  preset: maddy\nmx:\n  - host: mx\n",
            "zones/a.example.yaml:4: mx: unknown key 'mx': `mx` is a key of `mail:` — indent it under `mail:`",
        ),
        (
            "zone: a.example\nrecords:\n  www:\n  type: A\n  value: 192.0.2.1\n",
            "zones/a.example.yaml:3: records.www: must be a record set (type, value...) or a list of them, "
            "not empty: the `type:`, `value:` after it are not indented under it — indent them under `www:`",
        ),
        (
            "zone: a.example\nrecords:\n  www:\n    type: A\n  value: 192.0.2.1\n",
            "zones/a.example.yaml:5: records.value: must be a record set (type, value...) or a list of them, "
            "not a string: `value` is a key of a record set — indent it under `www:`",
        ),
        (
            "zone: a.example\nmail:\n  preset: maddy\n  selector: mail\n",
            "zones/a.example.yaml:4: mail.selector: unknown key 'selector': `selector` is a key of `dkim:` — "
            "indent it under `dkim:`",
        ),
    ],
    ids=["tab", "mail-key-at-top", "empty-record-set", "record-key-too-far-left", "dkim-key-in-mail"],
)
def test_yaml_shape_mistakes_get_a_hint(workdir: Path, text: str, expected: str) -> None:
    (workdir / "zones" / "a.example.yaml").write_text(text)
    result = run("validate")
    assert result.exit_code == 1
    lines = error_lines(result.output)
    assert expected in lines, result.output
    # the keys of the empty record set are one mistake: one error, not one per key
    if "not empty" in expected:
        assert len(lines) == 1, result.output
