"""`verify --wait` against an emulator whose nameserver serves API changes late (its propagation delay), and
`verify --since FILE`: what changed since an earlier JSON result, in every format. Real CLI, real DNS."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import jsonschema
import pytest
from verify_env import MAIL_ZONE, World, healthy, make_world, world_fixture  # noqa: F401

import zonesync
from zonesync.verify.since import compare
from zonesync.verify.watch import parse_duration

SCHEMA = json.loads((Path(zonesync.__file__).parent / "schemas" / "verify.schema.json").read_text())


@pytest.fixture
def slow(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    yield from make_world(tmp_path, monkeypatch, propagation_delay=2.0)


@pytest.fixture
def very_slow(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    yield from make_world(tmp_path, monkeypatch, propagation_delay=30.0)


def test_wait_passes_once_the_delayed_changes_are_served(slow: World) -> None:
    healthy(slow)
    early = slow.verify()  # right after apply: nothing is served yet
    assert early.exit_code == 5, early.output
    code, doc = slow.verify_json("--wait", "30s")
    assert code == 0, json.dumps(doc, indent=1)
    jsonschema.validate(doc, SCHEMA)
    wait = doc["wait"]
    assert wait["served"] is True and wait["missing"] == []
    assert wait["rounds"] >= 2 and 0 < wait["waited"] < 30
    assert doc["passed"] is True
    served = doc["zones"][0]["served"]
    (dmarc,) = served["_dmarc.example.com TXT"]
    assert dmarc.startswith('"v=DMARC1; p=quarantine;')


def test_wait_shorter_than_the_delay_fails_naming_what_is_missing(very_slow: World) -> None:
    healthy(very_slow)
    result = very_slow.verify("--wait", "2s")
    assert result.exit_code == 5, result.output
    line = next(x for x in result.output.splitlines() if "still not served from every" in x)
    assert "after waiting 2s" in line
    assert "_dmarc.example.com TXT" in line and "example.com MX" in line
    assert "DKIM selector default" in line
    assert "Not everything was served within --wait 2s" in result.output
    code, doc = very_slow.verify_json("--wait", "1s")
    assert code == 5
    jsonschema.validate(doc, SCHEMA)
    assert doc["wait"]["served"] is False
    assert "example.com: _dmarc.example.com TXT" in doc["wait"]["missing"]


def test_wait_with_everything_served_answers_in_one_round(world: World) -> None:
    healthy(world)
    code, doc = world.verify_json("--wait", "10m")
    assert code == 0, json.dumps(doc, indent=1)
    assert doc["wait"]["rounds"] == 1 and doc["wait"]["served"] is True


@pytest.mark.parametrize(
    ("text", "seconds"), [("90s", 90), ("10m", 600), ("1h", 3600), ("24h", 86400), ("45", 45)]
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "ten", "-5s", "0", "2d", "25h", "500ms"])
def test_bad_wait_is_a_usage_error(world: World, text: str) -> None:
    result = world.verify("--wait", text)
    assert result.exit_code != 0 and "--wait" in result.output, result.output
    assert "Traceback" not in result.output


def test_since_names_a_check_that_started_failing_and_a_value_that_changed(world: World) -> None:
    healthy(world)
    before = world.root / "before.json"
    code, doc = world.verify_json()
    assert code == 0, json.dumps(doc, indent=1)
    before.write_text(json.dumps(doc))
    world.write(
        MAIL_ZONE.replace(
            'rua: ["mailto:dmarc@example.com"]', 'rua: ["mailto:dmarc@example.com"]\n    policy: reject'
        )
    )
    world.apply()
    httpx.post(  # a dashboard edit: drift, a check that starts failing
        world.emu.url.replace("/client/v4", "/__emulator/records"),
        json={"zone": "example.com", "record": {"type": "A", "name": "@", "content": "198.51.100.7"}},
    ).raise_for_status()
    text = world.verify("--since", str(before))
    assert text.exit_code == 5, text.output
    assert f"Changes since {before}" in text.output
    assert (
        "example.com: started failing: dns example.com A: (not there) -> fail: served differently"
        in text.output
    )
    changed = next(x for x in text.output.splitlines() if "served value changed" in x)
    assert changed.startswith(
        '  example.com: served value changed: _dmarc.example.com TXT: "v=DMARC1; p=quarantine;'
    )
    assert '-> "v=DMARC1; p=reject;' in changed
    code, now = world.verify_json("--since", str(before))
    jsonschema.validate(now, SCHEMA)
    kinds = {(c["kind"], c["subject"]) for c in now["since"]["changes"]}
    assert ("failing", "dns example.com A") in kinds and ("value", "_dmarc.example.com TXT") in kinds
    md = world.verify("--format", "markdown", "--since", str(before)).output
    assert "#### Changes since" in md and "| example.com | started failing | `dns example.com A` |" in md


def test_since_names_a_check_that_recovered() -> None:
    def doc(status: str) -> dict:
        f = {
            "topic": "dkim",
            "subject": "default",
            "status": status,
            "message": status,
            "fix": "",
            "details": [],
        }
        return {"zones": [{"zone": "example.com", "findings": [f], "served": {}}], "machine": []}

    (change,) = compare(doc("fail"), doc("pass"))
    assert (change.kind, change.subject, change.before, change.after) == (
        "recovered", "dkim default", "fail: fail", "pass: pass",
    )  # fmt: skip
    assert compare(doc("pass"), doc("pass")) == []


def test_since_with_no_change_says_so(world: World) -> None:
    healthy(world)
    before = world.root / "before.json"
    before.write_text(world.verify("--format", "json").output)
    result = world.verify("--since", str(before))
    assert result.exit_code == 0, result.output
    assert f"No change since {before}." in result.output


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "not JSON"),
        ('{"format": "zonesync-plan", "version": 1}', "not a `zonesync verify --format json` result"),
        ('{"format": "zonesync-verify", "version": 99, "zones": []}', "this zonesync reads version 1"),
    ],
)
def test_since_refuses_what_is_not_a_verify_result(world: World, content: str, message: str) -> None:
    healthy(world)
    bad = world.root / "bad.json"
    bad.write_text(content)
    result = world.verify("--since", str(bad))
    assert result.exit_code == 1, result.output
    assert message in result.output and "--since" in result.output
    assert "Traceback" not in result.output


def test_since_escapes_control_characters_read_from_the_earlier_file(world: World) -> None:
    healthy(world)
    code, doc = world.verify_json()
    assert code == 0
    doc["zones"][0]["findings"].append(
        {
            "topic": "dkim",
            "subject": "evil\x1b[2J",
            "status": "fail",
            "message": "boom\x1b[31m",
            "fix": "",
            "details": [],
        }
    )
    before = world.root / "before.json"
    before.write_text(json.dumps(doc))
    for fmt in ("text", "markdown"):
        out = world.verify("--format", fmt, "--since", str(before)).output
        assert "\x1b" not in out  # escaped: Markdown also makes its punctuation literal
        assert "evil\\x1b" in out and "boom\\x1b" in out.replace("\\\\", "\\")
