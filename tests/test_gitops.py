"""Git-ops: exit codes, JSON/Markdown output (schema, snapshots), -v without the token, plain output, and
schema publication (the CI recipes are tested in test_recipes.py)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from clirun import run
from emu_records import user_records

ROOT = Path(__file__).resolve().parent.parent
CI = ROOT / "docs" / "ci"
SCHEMA = json.loads((ROOT / "zonesync" / "schemas" / "plan.schema.json").read_text())
ZONE = "example.com"
BIN = Path(sys.executable).parent

ZONE_FILE = """\
zone: example.com
ttl: 3600
records:
  "@":
    - type: A
      value: 203.0.113.10
    - type: TXT
      value: v=spf1 -all
  www:
    type: CNAME
    value: example.com.
    proxied: true
    comment: public site
  old:
    type: A
    value: 192.0.2.99
    ttl: 300
"""


@pytest.fixture
def workdir(workdir: Path) -> Path:
    (workdir / "zones" / "example.com.yaml").write_text(ZONE_FILE)
    return workdir


# -- exit codes --------------------------------------------------------------------------------------------


def test_exit_codes(emulator, workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert run("plan").exit_code == 0  # changes, but no --exit-code
    assert run("plan", "--exit-code").exit_code == 2
    assert run("plan", "--out", "plan.json").exit_code == 0
    assert run("apply", "--yes").exit_code == 0
    assert run("plan", "--exit-code").exit_code == 0
    assert run("apply", "--yes", "plan.json").exit_code == 3  # stale: the zone changed since
    Path("zones/bad.yaml").write_text("zone: example.net\nrecords:\n  www: {type: A, value: nope}\n")
    assert run("plan", "--exit-code").exit_code == 1  # bad input
    Path("zones/bad.yaml").unlink()
    for i in range(10):
        emulator.add_record(ZONE, {"type": "A", "name": f"h{i}.{ZONE}", "content": "192.0.2.1", "ttl": 60})
    Path("zones/example.com.yaml").write_text("zone: example.com\nrecords: {}\n")
    assert run("apply", "--yes").exit_code == 4  # unsafe
    assert len(user_records(emulator, ZONE)) == 14
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", "wrong-token")
    result = run("plan", "--exit-code")
    assert result.exit_code == 1 and "CLOUDFLARE_API_TOKEN" in result.output  # rejected token


def test_help_documents_exit_codes_and_commands() -> None:
    out = run("--help").output
    for line in ("0  success", "1  error", "2  plan --exit-code", "3  a saved plan", "4  refused as unsafe"):
        assert line in out
    assert "import" in out and "--rate-limit" in out
    plan_help = run("plan", "--help").output
    assert "--format [text|json|markdown]" in plan_help and "--out" in plan_help
    assert "--force" in run("apply", "--help").output


# -- JSON and Markdown -------------------------------------------------------------------------------------


def seed_for_snapshots(emulator) -> None:
    emulator.add_record(ZONE, {"type": "A", "name": ZONE, "content": "203.0.113.10", "ttl": 3600})
    emulator.add_record(ZONE, {"type": "A", "name": f"old.{ZONE}", "content": "192.0.2.98", "ttl": 300})
    emulator.add_record(
        ZONE, {"type": "MX", "name": ZONE, "content": "mx.example.net", "priority": 10, "ttl": 3600}
    )
    emulator.add_record(
        ZONE,
        {"type": "A", "name": f"app.{ZONE}", "content": "192.0.2.50", "ttl": 1, "meta": {"read_only": True}},
    )


def normalise(doc: dict) -> dict:
    text = json.dumps(doc)
    text = re.sub(r'"(id|zone_id)": "[0-9a-f]+"', r'"\1": "<id>"', text)
    text = re.sub(r'"(sha256|hmac-sha256):[0-9a-f]{64}"', r'"\1:<hex>"', text)
    return json.loads(text)


def test_json_output_matches_schema_and_snapshot(emulator, workdir: Path) -> None:
    seed_for_snapshots(emulator)
    result = run("plan", "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    jsonschema.validate(doc, SCHEMA)
    doc = normalise(doc)
    zone = doc["zones"][0]
    assert doc["counts"] == {"create": 2, "update": 1, "delete": 1} and doc["has_changes"] is True
    assert zone["live_records"] == 4 and zone["managed_records"] == 3
    assert zone["skipped"] == [
        {
            "name": "app.example.com",
            "type": "A",
            "content": "192.0.2.50",
            "reason": "managed by Cloudflare (read only)",
        }
    ]
    assert zone["changes"] == [
        {
            "action": "delete",
            "name": "example.com",
            "type": "MX",
            "before": {
                "id": "<id>", "name": "example.com", "type": "MX", "value": "10 mx.example.net.", "ttl": 3600,
                "proxied": None, "comment": None, "tags": [],
            },
            "after": None,
        },
        {
            "action": "create",
            "name": "example.com",
            "type": "TXT",
            "before": None,
            "after": {
                "id": None, "name": "example.com", "type": "TXT", "value": "v=spf1 -all", "ttl": 3600,
                "proxied": None, "comment": None, "tags": [],
                "source": {"path": "zones/example.com.yaml", "line": 8, "field": "records.@[1].value", "origin": None},
            },
        },
        {
            "action": "update",
            "name": "old.example.com",
            "type": "A",
            "before": {
                "id": "<id>", "name": "old.example.com", "type": "A", "value": "192.0.2.98", "ttl": 300,
                "proxied": False, "comment": None, "tags": [],
            },
            "after": {
                "id": "<id>", "name": "old.example.com", "type": "A", "value": "192.0.2.99", "ttl": 300,
                "proxied": False, "comment": None, "tags": [],
                "source": {"path": "zones/example.com.yaml", "line": 16, "field": "records.old.value", "origin": None},
            },
            "fields": [{"field": "value", "before": "192.0.2.98", "after": "192.0.2.99"}],
        },
        {
            "action": "create",
            "name": "www.example.com",
            "type": "CNAME",
            "before": None,
            "after": {
                "id": None, "name": "www.example.com", "type": "CNAME", "value": "example.com.", "ttl": 1,
                "proxied": True, "comment": "public site", "tags": [],
                "source": {"path": "zones/example.com.yaml", "line": 11, "field": "records.www.value", "origin": None},
            },
        },
    ]  # fmt: skip
    assert zone["safety"] == {
        "limits": {"update": "30%", "delete": "30%", "min_records": 10, "source": "default"},
        "unsafe": None,
    }
    assert doc["digest"] == "sha256:<hex>"


MARKDOWN = """\
<!-- zonesync-plan -->
## zonesync plan: 2 to create, 1 to update, 1 to delete

| Zone | Create | Update | Delete | Status |
| --- | ---: | ---: | ---: | --- |
| `example.com` | 2 | 1 | 1 | changes |

### `example.com`

`zones/example.com.yaml` · 4 live records, 1 skipped

```diff
- delete @ MX 10 mx.example.net.  (ttl 3600)
+ create @ TXT "v=spf1 -all"  (ttl 3600)
~ update old A
  value: 192.0.2.98 -> 192.0.2.99
+ create www CNAME example.com.  (ttl auto, proxied, comment 'public site')
```

<details>
<summary>1 record left alone</summary>

- `app A`: managed by Cloudflare (read only)

</details>
"""


def test_markdown_snapshot(emulator, workdir: Path) -> None:
    seed_for_snapshots(emulator)
    result = run("plan", "--format", "markdown")
    assert result.exit_code == 0, result.output
    assert result.stdout == MARKDOWN


def test_markdown_folds_long_zones_and_flags_unsafe_ones(emulator, workdir: Path) -> None:
    emulator.add_zone("example.org")
    for i in range(12):
        emulator.add_record(ZONE, {"type": "A", "name": f"h{i}.{ZONE}", "content": "192.0.2.1", "ttl": 60})
    Path("zones/example.com.yaml").write_text(
        "zone: example.com\nrecords:\n"
        + "".join(f"  n{i}: {{type: A, value: 192.0.2.{i}}}\n" for i in range(20))
    )
    Path("zones/example.org.yaml").write_text("zone: example.org\nrecords: {}\n")
    md = run("plan", "--format", "markdown").stdout
    assert "| `example.com` | 20 | 0 | 12 | ⚠️ unsafe: needs `--force` |" in md
    assert "| `example.org` | 0 | 0 | 0 | no changes |" in md
    assert "| **Total** | 20 | 0 | 12 | |" in md
    assert "<details>\n<summary>20 to create, 0 to update, 12 to delete</summary>" in md
    assert "> [!WARNING]\n> example.com: unsafe plan: 12 of 12 existing records would be deleted" in md
    assert "No changes in `example.org`." in md


# -- logging and colour ------------------------------------------------------------------------------------


def test_verbose_logs_requests_never_the_token(emulator, workdir: Path) -> None:
    env = {**os.environ, "CLOUDFLARE_API_TOKEN": "test-token"}
    proc = subprocess.run(
        [sys.executable, "-m", "zonesync", "-v", "plan", "--out", "plan.json"],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"GET /client/v4/zones -> 200 \d+ms", proc.stderr)
    assert re.search(r"GET /client/v4/zones/[0-9a-f]+/dns_records -> 200 \d+ms", proc.stderr)
    for text in (proc.stdout, proc.stderr, Path("plan.json").read_text()):
        assert "test-token" not in text and "Bearer" not in text


def test_no_color_and_non_tty_output_is_plain(
    emulator, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert "\x1b[" in run("plan", color=True).output  # a terminal gets colour...
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b[" not in run("plan", color=True).output  # ...unless NO_COLOR is set
    monkeypatch.delenv("NO_COLOR")
    assert "\x1b[" not in run("plan").output  # not a terminal: plain
    proc = subprocess.run(
        [sys.executable, "-m", "zonesync", "plan"], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0 and "\x1b[" not in proc.stdout + proc.stderr


def test_markdown_fences_survive_backticks_in_values() -> None:
    from zonesync.model import Record
    from zonesync.plan.model import Change, Plan, ZonePlan
    from zonesync.render.markdown import render

    rec = Record("odd.example.com", "TXT", "```| <b>", 300)
    md = render(Plan((ZonePlan(ZONE, "z.yaml", "zid", (Change("create", after=rec),), 0, "sha256:x"),)))
    assert '````diff\n+ create odd TXT "```| <b>"  (ttl 300)\n````' in md


def test_published_schema_is_valid_and_packaged() -> None:
    from importlib.resources import files

    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert json.loads(files("zonesync").joinpath("schemas/plan.schema.json").read_text()) == SCHEMA
