"""Cloudflare's name rules (zonesync/zonefile/names.py): refused by `validate`, so no batch fails on a name (9007)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from zonesync.cli import cli
from zonesync.emulator import errors as emulator_errors
from zonesync.emulator.validation import build
from zonesync.errors import ZoneFileError
from zonesync.model import Source
from zonesync.zonefile import names
from zonesync.zonefile.load import absolute_name

ODD_NAMES = [
    "**", "*x", "x*", "*_x", "@.sub", "my host", "a/b", "-a", "a-", "_a-", "~", "#x", "a;b", "a:b",
    "a$b", "a,b", 'a"b', "a\\.b", "a\\032b", "x" * 64, "a.*", "sub.*.x",
]  # fmt: skip
"""22 odd owner names; before these rules 15 (and more) passed `validate` and then failed the batch."""


def validate(tmp_path: Path, body: str):
    path = tmp_path / "example.com.yaml"
    path.write_text("zone: example.com\n" + body)
    return CliRunner().invoke(cli, ["validate", str(path)]), path


@pytest.mark.parametrize("name", ODD_NAMES)
def test_validate_refuses_odd_owner_names(tmp_path: Path, name: str) -> None:
    quoted = name.replace("\\", "\\\\").replace('"', '\\"')
    result, path = validate(tmp_path, f'records:\n  "{quoted}":\n    type: A\n    value: 192.0.2.1\n')
    assert result.exit_code == 1, result.output
    assert f"{path}:3: records.{name}: " in result.output
    assert "Cloudflare accepts" in result.output or "A DNS label" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("name", ODD_NAMES)
def test_the_emulator_refuses_what_validate_refuses(name: str) -> None:
    """The emulator models Cloudflare's 9007; `a.*` and `sub.*.x` it takes with a literal `*`, which
    Cloudflare's docs say is no wildcard: zonesync refuses those rather than publish a name nobody means."""
    with pytest.raises(ZoneFileError):
        absolute_name(name, "example.com", Source("f"))
    if "*" not in name.split(".")[1:]:
        with pytest.raises(emulator_errors.ApiError):
            build("example.com", "free", {"type": "A", "name": name, "content": "192.0.2.1"})


def test_valid_names_still_pass(tmp_path: Path) -> None:
    body = "records:\n" + "".join(
        f'  "{n}": {{type: TXT, value: x}}\n'
        for n in (
            "*",
            "*.sub",
            "_dmarc",
            "_sip._tcp",
            "a-b",
            "9x",
            "x" * 63,
            "a_",
            "xn--mnchen-3ya",
            "bücher",
        )
    )
    result, _ = validate(tmp_path, body)
    assert result.exit_code == 0, result.output


_alphabet = st.sampled_from([*"ab09-_*.@ /~#\\:;\"'é", "x" * 30])


@given(st.lists(_alphabet, min_size=1, max_size=12).map("".join))
def test_a_name_validate_accepts_is_a_name_the_api_accepts(name: str) -> None:
    """The property behind `validate`: a batch never fails on a name it accepted."""
    try:
        fqdn = absolute_name(name, "example.com", Source("f"))
    except ZoneFileError:
        return
    build("example.com", "free", {"type": "TXT", "name": fqdn, "content": "x"})


@given(st.from_regex(r"[A-Za-z0-9_-]{1,70}(\.[A-Za-z0-9_*-]{1,10}){0,3}", fullmatch=True))
def test_a_name_the_api_accepts_is_accepted(name: str) -> None:
    """And the other way round, but for a `*` below the leftmost label (a literal, see above)."""
    try:
        build("example.com", "free", {"type": "TXT", "name": name, "content": "x"})
    except emulator_errors.ApiError:
        return
    if "*" not in name:
        absolute_name(name, "example.com", Source("f"))


@pytest.mark.parametrize(
    ("zone", "reason"),
    [
        ("other/dir/pwn.example", "label 'other/dir/pwn' holds '/'"),
        ("../../etc.example", "label is empty"),
        ("com", "at least two labels"),
        ("_x.example", "no '_'"),
        ("*.example.com", "'*' is a wildcard"),
    ],
)
def test_zone_names_are_registered_domains(tmp_path: Path, zone: str, reason: str) -> None:
    path = tmp_path / "z.yaml"
    path.write_text(f'zone: "{zone}"\n')
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert result.exit_code == 1
    assert f"{path}:1: zone: " in result.output and reason in result.output, result.output


def test_rules_are_what_the_docstring_says() -> None:
    assert names.name_problem("x" * 63 + ".example.com") is None
    assert "63" in (names.name_problem("x" * 64 + ".example.com") or "")
    long_name = ".".join(["x" * 62] * 4) + ".com"
    assert len(long_name) > 253 and "253" in (names.name_problem(long_name) or "")
    assert names.name_problem("*.example.com") is None
    assert names.name_problem("*.example.com", wildcard=False) is not None
    assert names.zone_problem("example.com") is None and names.zone_problem("xn--bcher-kva.de") is None


@pytest.mark.parametrize("host", ["a b.example.net.", "-mx", "mx_.*.example.net."])
def test_mail_mx_hosts_follow_the_same_rules(tmp_path: Path, host: str) -> None:
    """The mail block's MX hosts become MX targets: refused with the field, not an internal error."""
    result, path = validate(tmp_path, f'mail:\n  mx: [{{host: "{host}", priority: 10}}]\n')
    assert result.exit_code == 1
    assert f"{path}:3: mail.mx[0].host: " in result.output and "Cloudflare accepts" in result.output, (
        result.output
    )


def _zone_name_by_dnspython(text: str) -> str:
    """The rule without the plain-name shortcut: dnspython parses, `zone_problem` judges."""
    import dns.name

    name = dns.name.from_text(text.strip())
    if names.zone_problem(name) is not None:
        raise ValueError
    return name.to_text(omit_final_dot=True).lower()


@given(
    st.text(st.sampled_from("aZ09-._ \\*"), max_size=14) | st.sampled_from(["Example.COM.", " a.b ", "a..b"])
)
def test_a_plain_zone_name_reads_as_dnspython_reads_it(text: str) -> None:
    """The shortcut for plain names gives dnspython's canonical name, and refuses what it refuses."""
    try:
        expected: str | None = _zone_name_by_dnspython(text)
    except Exception:
        expected = None
    try:
        got: str | None = names.zone_name(text)
    except ValueError:
        got = None
    assert got == expected


def test_a_zone_read_from_its_file_name_loads_no_dnspython() -> None:
    """What a plan does before its first request: the zone from the file name, without dnspython."""
    from tests.clirun import python

    result = python(
        "import sys; from zonesync.zonefile.locate import zone_of_path;"
        "print(zone_of_path('zones/Example.COM.yaml'), 'dns.name' in sys.modules)"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["example.com", "False"]
