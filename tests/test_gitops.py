"""Git-ops: exit codes, JSON/Markdown output (schema, snapshots), -v without the token, plain output, and
the CI recipes in docs/ci — linted by the tools their users rely on, and their commands run for real
against the emulator."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import jsonschema
import pytest
import yaml
from clirun import run

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


def tool(name: str) -> str:
    """A checker from the [test] extras: next to this Python, or on PATH. Missing is a failure, not a
    skip: CI installs the extras, and a recipe nobody checks is the bug this test exists for."""
    path = BIN / name
    found = str(path) if path.exists() else shutil.which(name)
    if not found:
        pytest.fail(f"{name} is not installed: pip install -e '.[test]'")
    return found


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
    assert len(emulator.records(ZONE)) == 14
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
<summary>1 records left alone</summary>

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


# -- CI recipes: linted -----------------------------------------------------------------------------------


def test_github_workflow_passes_actionlint() -> None:
    proc = subprocess.run(
        [tool("actionlint"), "-no-color", str(CI / "github-actions.yml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_gitlab_ci_passes_check_jsonschema() -> None:
    proc = subprocess.run(
        [tool("check-jsonschema"), "--builtin-schema", "vendor.gitlab-ci", str(CI / "gitlab-ci.yml")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_readme_links_the_recipes() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "docs/ci/github-actions.yml" in readme and "docs/ci/gitlab-ci.yml" in readme


# -- CI recipes: their commands, run against the emulator ------------------------------------------------


def shell(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run a step the way the runners do: bash with -e and pipefail."""
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def ci_env(emulator, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    env.update(
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        CLOUDFLARE_API_TOKEN="test-token",
        CLOUDFLARE_BASE_URL=emulator.url,
        ZONESYNC_PLAN_KEY="plan-signing-key",
    )
    env.update(extra)
    return env


GITHUB_SKIPPED = {
    "Install zonesync": "the test runs the zonesync under test",
    "Comment on the pull request": "needs GitHub's gh and API",
}


class GitHubJob:
    def __init__(self, workflow: dict, name: str, workdir: Path, env: dict[str, str]) -> None:
        self.job = workflow["jobs"][name]
        self.workdir, self.env = workdir, {**env, **{k: str(v) for k, v in workflow.get("env", {}).items()}}
        self.skipped: set[str] = set()

    def run(self) -> tuple[subprocess.CompletedProcess[str] | None, dict[str, str]]:
        output = self.workdir / "github_output"
        output.write_text("")
        env = {
            **self.env,
            "GITHUB_OUTPUT": str(output),
            "GITHUB_STEP_SUMMARY": str(self.workdir / "summary.md"),
        }
        last = None
        for step in self.job["steps"]:
            if "run" not in step:
                continue
            if step.get("name") in GITHUB_SKIPPED:
                self.skipped.add(step["name"])
                continue
            assert "${{" not in step["run"], "expressions belong in env:, not in scripts"
            last = shell(step["run"], self.workdir, env)
            if last.returncode != 0:
                break
        outputs = dict(line.split("=", 1) for line in output.read_text().splitlines() if "=" in line)
        return last, outputs


def test_github_recipe_commands(emulator, workdir: Path) -> None:
    workflow = yaml.safe_load((CI / "github-actions.yml").read_text())
    env = ci_env(emulator)
    seen_skips: set[str] = set()

    def job(name: str) -> tuple[subprocess.CompletedProcess[str] | None, dict[str, str]]:
        j = GitHubJob(workflow, name, workdir, env)
        result = j.run()
        seen_skips.update(j.skipped)
        return result

    # pull request: plan, markdown for the comment, changes reported as an output
    proc, out = job("plan-pr")
    assert proc is not None and proc.returncode == 0, proc.stderr
    assert out == {"changes": "true"}
    assert (workdir / "plan.md").read_text().startswith("<!-- zonesync-plan -->")
    assert "zonesync plan: 4 to create" in (workdir / "summary.md").read_text()

    # push to main: plan saves plan.json, apply applies that file (the artifact lands in the workspace)
    proc, out = job("plan")
    assert proc is not None and proc.returncode == 0, proc.stderr
    assert out == {"changes": "true"}
    assert json.loads((workdir / "plan.json").read_text())["digest"].startswith("hmac-sha256:")
    assert workflow["jobs"]["apply"]["if"] == "needs.plan.outputs.changes == 'true'"
    proc, _ = job("apply")
    assert proc is not None and proc.returncode == 0, proc.stderr
    assert len(emulator.records(ZONE)) == 4

    # nothing left to do: the apply job would be skipped
    proc, out = job("plan")
    assert proc is not None and proc.returncode == 0 and out == {"changes": "false"}

    # a zone changed between the plan and apply jobs: the apply job fails, exit 3, nothing written
    (workdir / "zones" / "example.com.yaml").write_text(ZONE_FILE.replace("192.0.2.99", "192.0.2.100"))
    proc, out = job("plan")
    assert out == {"changes": "true"}
    emulator.add_record(ZONE, {"type": "A", "name": f"dash.{ZONE}", "content": "192.0.2.5", "ttl": 60})
    proc, _ = job("apply")
    assert proc is not None and proc.returncode == 3 and "the live zone changed" in proc.stderr

    # a broken zone file fails the plan step (1 is neither "no changes" nor "changes")
    (workdir / "zones" / "example.com.yaml").write_text("zone: example.com\nrecords: {www: {type: A}}\n")
    proc, out = job("plan-pr")
    assert proc is not None and proc.returncode == 1 and out == {}
    assert seen_skips == set(GITHUB_SKIPPED)


class NoteServer(BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[str, str | None, bytes]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((self.path, self.headers.get("PRIVATE-TOKEN"), body))
        self.send_response(201)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: object) -> None:
        pass


def test_gitlab_recipe_commands(emulator, workdir: Path) -> None:
    pipeline = yaml.safe_load((CI / "gitlab-ci.yml").read_text())
    assert pipeline["default"]["before_script"] == ["pip install zonesync"]  # the one line not run here
    server = ThreadingHTTPServer(("127.0.0.1", 0), NoteServer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    NoteServer.received = []
    try:
        variables = {k: str(v) for k, v in pipeline["variables"].items()}

        def job(name: str, **extra: str) -> subprocess.CompletedProcess[str]:
            script = "\n".join(pipeline[name]["script"])
            return shell(script, workdir, {**ci_env(emulator, **extra), **variables})

        mr = {
            "CI_PIPELINE_SOURCE": "merge_request_event",
            "CI_MERGE_REQUEST_IID": "7",
            "CI_PROJECT_ID": "42",
            "CI_API_V4_URL": f"http://127.0.0.1:{server.server_address[1]}/api/v4",
            "ZONESYNC_GITLAB_TOKEN": "glpat-test",
        }
        proc = job("dns-plan", **mr)
        assert proc.returncode == 0, proc.stderr
        [(path, token, body)] = NoteServer.received
        assert path == "/api/v4/projects/42/merge_requests/7/notes"
        assert token == "glpat-test"
        assert json.loads(body)["body"] == (workdir / "plan.md").read_text()
        assert "zonesync plan: 4 to create" in json.loads(body)["body"]

        # default branch: plan (no MR: no note), then apply the artifact
        proc = job("dns-plan", CI_COMMIT_BRANCH="main", CI_DEFAULT_BRANCH="main")
        assert proc.returncode == 0, proc.stderr
        assert len(NoteServer.received) == 1
        proc = job("dns-apply")
        assert proc.returncode == 0, proc.stderr
        assert len(emulator.records(ZONE)) == 4
        proc = job("dns-plan")
        assert proc.returncode == 0 and "no changes" in (workdir / "plan.md").read_text()
        proc = job("dns-apply")
        assert proc.returncode == 0 and "Nothing to apply." in proc.stdout

        (workdir / "zones" / "example.com.yaml").write_text("zone: example.com\nrecords: {www: {type: A}}\n")
        assert job("dns-plan").returncode == 1
    finally:
        server.shutdown()
        server.server_close()


def test_recipes_run_the_documented_commands() -> None:
    text = (CI / "github-actions.yml").read_text() + (CI / "gitlab-ci.yml").read_text()
    assert text.count("zonesync plan --exit-code --format markdown --out plan.json > plan.md") == 3
    assert text.count("zonesync apply --yes plan.json") == 2


def test_markdown_fences_survive_backticks_in_values() -> None:
    from zonesync.model import Record
    from zonesync.plan import Change, Plan, ZonePlan
    from zonesync.render.markdown import render

    rec = Record("odd.example.com", "TXT", "```| <b>", 300)
    md = render(Plan((ZonePlan(ZONE, "z.yaml", "zid", (Change("create", after=rec),), 0, "sha256:x"),)))
    assert '````diff\n+ create odd TXT "```| <b>"  (ttl 300)\n````' in md


def test_published_schema_is_valid_and_packaged() -> None:
    from importlib.resources import files

    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert json.loads(files("zonesync").joinpath("schemas/plan.schema.json").read_text()) == SCHEMA
