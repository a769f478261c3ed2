"""Cloudflare's limits on record content (zonesync/zonefile/record_limits.py, docs/cloudflare-limits.md), issue
21 item 15: `validate` refuses what Cloudflare refuses, with the file and line, before `apply` writes
anything; the emulator refuses the same, and accepts what `validate` accepts."""

from __future__ import annotations

from pathlib import Path

import pytest
from clirun import run
from emu_records import user_records

from zonesync.emulator.server import Emulator

ZONE = "example.com"


def write_zone(workdir: Path, records: str) -> Path:
    path = workdir / "zones" / f"{ZONE}.yaml"
    path.write_text(f"zone: {ZONE}\nrecords:\n{records}")
    return path


def txt(name: str, text: str, extra: str = "") -> str:
    return f"  {name}:\n    type: TXT\n    value: {text}\n{extra}"


def post(api: object, emulator: Emulator, body: dict[str, object]) -> object:
    return api.post(f"/zones/{emulator.zone_id(ZONE)}/dns_records", json=body)  # type: ignore[attr-defined]


def chain(resp: object) -> list[int]:
    body = resp.json()  # type: ignore[attr-defined]
    return [c["code"] for e in body["errors"] for c in e.get("error_chain", [])]


def test_a_10000_character_txt_is_refused_with_file_and_line_and_nothing_is_written(
    workdir: Path, emulator: Emulator
) -> None:
    write_zone(workdir, txt("ok", "hello") + txt("big", "x" * 10_000))
    result = run("validate")
    assert result.exit_code == 1
    assert result.output.startswith(
        f"Error: zones/{ZONE}.yaml:8: records.big.value: a TXT value of 10,000 bytes (10,040 in DNS wire format) is refused by Cloudflare"
    ), result.output
    applied = run("apply", "--yes")
    assert applied.exit_code == 1
    assert f"zones/{ZONE}.yaml:8: records.big.value" in applied.output
    assert emulator.records(ZONE) == []  # not even the good record: nothing is written
    assert not [route for route in emulator.stats()["by_route"] if route.startswith(("POST", "PUT", "PATCH"))]


def test_the_largest_txt_validate_accepts_is_the_largest_the_emulator_accepts(
    workdir: Path, emulator: Emulator
) -> None:
    """4,080 bytes of text: 16 character-strings of 255 bytes, 4,096 bytes in wire format. One more
    byte is refused by both; multi-byte characters count as bytes, and a string never splits one (so 4,064
    bytes of `é` already make 16 strings of 254 bytes)."""
    write_zone(workdir, txt("edge", "a" * 4080) + txt("wide", "é" * 2032))
    assert run("validate").exit_code == 0
    applied = run("apply", "--yes")
    assert applied.exit_code == 0, applied.output
    values = {r["name"]: r["content"] for r in user_records(emulator, ZONE)}
    assert set(values) == {f"edge.{ZONE}", f"wide.{ZONE}"}

    write_zone(workdir, txt("edge", "a" * 4081))
    result = run("validate")
    assert result.exit_code == 1 and "4,081 bytes (4,098 in DNS wire format)" in result.output
    write_zone(workdir, txt("wide", "é" * 2040))
    assert "4,080 bytes (4,097 in DNS wire format)" in run("validate").output


def test_the_emulator_measures_txt_in_wire_format(emulator: Emulator, api: object) -> None:
    quoted = " ".join('"' + "q" * 255 + '"' for _ in range(16))  # 4,080 bytes of text, as zonesync sends it
    assert post(api, emulator, {"type": "TXT", "name": "q", "content": quoted}).status_code == 200  # type: ignore[attr-defined]
    resp = post(api, emulator, {"type": "TXT", "name": "r", "content": quoted[:-1] + 'q"'})
    assert resp.status_code == 400 and chain(resp) == [9102]  # type: ignore[attr-defined]


def test_the_combined_content_at_one_name_and_type_is_limited(workdir: Path) -> None:
    values = "".join(f"      - {i}{'y' * 2999}\n" for i in range(3))
    write_zone(workdir, f"  set:\n    type: TXT\n    values:\n{values}")
    result = run("validate")
    assert result.exit_code == 1
    assert f"zones/{ZONE}.yaml:8: records.set.values[2]: the TXT records at set.{ZONE} hold" in result.output
    assert "Cloudflare refuses more than 8,192 for one name and type" in result.output


def test_the_emulator_limits_the_combined_content_of_any_type(emulator: Emulator, api: object) -> None:
    for i in range(3):  # three TXT of 3,000 characters at one name: 9,000 > 8,192
        resp = post(api, emulator, {"type": "TXT", "name": "s", "content": f"{i}{'z' * 2999}"})
    assert chain(resp) == [9102]
    # the same name, another type: its own budget
    assert post(api, emulator, {"type": "A", "name": "s2", "content": "192.0.2.1"}).status_code == 200  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("extra", "level", "message"),
    [
        ("    comment: " + "c" * 501 + "\n", "error", "a comment of 501 characters is refused by Cloudflare"),
        ("    comment: " + "c" * 150 + "\n", "warning", "is refused on Cloudflare's Free plan"),
        ('    comment: "two\\nlines"\n', "error", "a comment cannot hold a line break"),
        ("    tags: ['bad name:x']\n", "error", "tag 'bad name:x' is refused by Cloudflare"),
    ],
    ids=["comment-501", "comment-150-free", "comment-line-break", "tag-name"],
)
def test_comments_and_tags(workdir: Path, extra: str, level: str, message: str) -> None:
    write_zone(workdir, f"  www:\n    type: A\n    value: 192.0.2.1\n{extra}")
    result = run("validate")
    assert message in result.output, result.output
    assert result.exit_code == (1 if level == "error" else 0)
    assert f"zones/{ZONE}.yaml:5: records.www.value" in result.output


def test_enterprise_zones_take_500_character_comments(workdir: Path) -> None:
    path = write_zone(workdir, "  www:\n    type: A\n    value: 192.0.2.1\n    comment: " + "c" * 500 + "\n")
    path.write_text(path.read_text().replace(f"zone: {ZONE}\n", f"zone: {ZONE}\nenterprise: true\n"))
    result = run("validate")
    assert result.exit_code == 0 and "Free plan" not in result.output


def test_the_emulator_limits_comments_by_plan_and_tag_names(emulator: Emulator, api: object) -> None:
    resp = post(api, emulator, {"type": "A", "name": "a", "content": "192.0.2.1", "comment": "c" * 101})
    assert chain(resp) == [9313]
    assert "maximum length of 100 characters" in resp.text  # type: ignore[attr-defined]
    assert chain(
        post(api, emulator, {"type": "A", "name": "b", "content": "192.0.2.2", "comment": "a\nb"})
    ) == [9314]
    assert chain(
        post(api, emulator, {"type": "A", "name": "c", "content": "192.0.2.3", "tags": ["a b:c"]})
    ) == [9315]
    ok = {
        "type": "A",
        "name": "d",
        "content": "192.0.2.4",
        "comment": "c" * 100,
        "tags": ["team-1_x:any value"],
    }
    assert post(api, emulator, ok).json()["result"]["name"] == f"d.{ZONE}"  # type: ignore[attr-defined]
    emulator.add_zone("paid.example", plan="pro")
    resp = api.post(  # type: ignore[attr-defined]
        f"/zones/{emulator.zone_id('paid.example')}/dns_records",
        json={"type": "A", "name": "a", "content": "192.0.2.1", "comment": "c" * 500},
    )
    assert resp.status_code == 200
