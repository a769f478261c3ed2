"""The CI recipes (docs/ci/) and the GitHub Action (action.yml), as shipped: linted by the tools their users
rely on, then run for real against the emulator from a fresh copy of the repository, install step included,
on the repository's own sample zones (zones/*.yaml with their committed DKIM .pub files)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
import yaml
from emu_records import user_records

import zonesync
from tests.ci_runner import GitHubRunner, copy_checkout, fresh_python, shell
from zonesync.emulator.server import Emulator

ROOT = Path(__file__).resolve().parent.parent
CI = ROOT / "docs" / "ci"
BIN = Path(sys.executable).parent
SAMPLE_ZONES = ("example.com", "mail.example")


def tool(name: str) -> str:
    """A checker from the [test] extras. Missing is a failure, not a skip: a recipe nobody checks is the
    bug this test exists for."""
    found = str(BIN / name) if (BIN / name).exists() else shutil.which(name)
    if not found:
        pytest.fail(f"{name} is not installed: pip install -e '.[test]'")
    return found


def check(cmd: list[str]) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


# -- linted -----------------------------------------------------------------------------------------------


def test_github_workflow_passes_actionlint() -> None:
    check([tool("actionlint"), "-no-color", str(CI / "github-actions.yml")])


def test_action_passes_the_github_action_schema() -> None:
    check([tool("check-jsonschema"), "--builtin-schema", "vendor.github-actions", str(ROOT / "action.yml")])


def test_gitlab_ci_passes_check_jsonschema() -> None:
    check([tool("check-jsonschema"), "--builtin-schema", "vendor.gitlab-ci", str(CI / "gitlab-ci.yml")])


def test_readme_shows_the_recipes_and_the_action() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "docs/ci/github-actions.yml" in readme and "docs/ci/gitlab-ci.yml" in readme
    assert "uses: zonesync/zonesync@" in readme and "ZONESYNC_VERSION" in readme


def test_git_takes_public_keys_and_never_private_ones() -> None:
    """A repository keeps its zones' `.pub` files (CI plans without the secret); private keys stay out.
    The checkout ships the sample mail zone's public keys, as a user's repository does, and no private one."""
    tracked = subprocess.run(["git", "ls-files", "keys"], cwd=ROOT, capture_output=True, text=True).stdout
    assert tracked.split() == [
        "keys/.gitignore",
        "keys/mail.example_default.key.pub",
        "keys/mail.example_ed2026.key.pub",
    ]
    names = ["keys/x_default.key", "keys/x_default.key.pub", "keys/mail/x.private", "elsewhere/a.key"]
    ignored = subprocess.run(
        ["git", "check-ignore", "--no-index", *names], cwd=ROOT, capture_output=True, text=True
    ).stdout.split()
    assert ignored == ["keys/x_default.key", "keys/mail/x.private", "elsewhere/a.key"]


def test_the_sample_zones_plan_with_the_committed_public_keys(tmp_path: Path) -> None:
    """A fresh clone validates without a private key: every DKIM record comes from a committed .pub, none
    is pending (a pending key would stop `plan --out` in CI)."""
    path = copy_checkout(tmp_path / "clone")
    assert not [p for p in (path / "keys").iterdir() if not p.name.endswith((".pub", ".gitignore"))]
    proc = subprocess.run(
        [sys.executable, "-m", "zonesync", "dkim", "show", "mail.example"],
        cwd=path, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 0 and not proc.stderr, proc.stdout + proc.stderr
    assert proc.stdout.count("key from: public key file") == 2 and "no key yet" not in proc.stdout


# -- run ----------------------------------------------------------------------------------------------------


@pytest.fixture
def emulator_with_samples(monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    emu = Emulator(tokens=("test-token",), zones=SAMPLE_ZONES, rate_limit=0).start()
    try:
        yield emu
    finally:
        emu.stop()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A fresh clone as a pull request sees it: the base branch (`origin/main`) without zones/, and the
    pull request's commit adding them, so `--changed-since` the base plans the sample zones."""
    path = copy_checkout(tmp_path / "repo")  # with the sample zones' committed .pub files, no private key
    commit = ["git", "-c", "user.name=ci", "-c", "user.email=ci@example.com", "commit", "-q", "-m"]
    for args in (
        ["git", "init", "-q", "-b", "pr"],
        ["git", "add", "--all", "--", ".", ":!zones"],
        [*commit, "base"],
        ["git", "update-ref", "refs/remotes/origin/main", "HEAD"],
        ["git", "add", "--all"],
        [*commit, "the pull request"],
    ):
        subprocess.run(args, cwd=path, check=True, capture_output=True)
    return path


def runner_env(tmp_path: Path, emulator: Emulator) -> dict[str, str]:
    """The runner's environment: a Python without zonesync first on PATH, the emulator as the API."""
    bin_dir = fresh_python(tmp_path / "runner-python")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZONESYNC_", "CLOUDFLARE_", "NO_COLOR"))}
    env.update(PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}", CLOUDFLARE_BASE_URL=emulator.url)
    # the runner image already has a build backend: pip builds zonesync from source in place, offline
    env.update(PIP_NO_BUILD_ISOLATION="0", PIP_DISABLE_PIP_VERSION_CHECK="1")
    return env


def zonesync_in(env: dict[str, str], *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return shell("zonesync " + " ".join(args), cwd, env)


def test_github_recipe_runs_as_shipped(emulator_with_samples: Emulator, repo: Path, tmp_path: Path) -> None:
    emulator = emulator_with_samples
    workflow = yaml.safe_load((CI / "github-actions.yml").read_text())
    env = runner_env(tmp_path, emulator)
    secrets = {"CLOUDFLARE_API_TOKEN": "test-token", "ZONESYNC_PLAN_KEY": "plan-signing-key-0123456789abcdef"}

    def job(name: str, event: str) -> tuple[GitHubRunner, int, dict[str, str]]:
        runner = GitHubRunner(repo, action_dir=repo, env=env, secrets=secrets, event=event)
        status, outputs = runner.run_job(workflow, name)
        return runner, status, outputs

    # pull request: the action installs zonesync from its own source, plans, and would comment
    runner, status, _ = job("plan-pr", "pull_request")
    assert status == 0, runner.last.stdout + runner.last.stderr
    [(_step, comment_env)] = runner.not_run
    assert comment_env["PR_NUMBER"] == "7" and comment_env["GH_TOKEN"] == "ghs-test"
    assert Path(comment_env["BODY_FILE"]).read_text().startswith("<!-- zonesync-plan -->")
    installed = shell("command -v zonesync", repo, env).stdout.strip()
    assert installed.startswith(str(tmp_path / "runner-python")), installed

    # push to main: plan saves a signed plan.json, apply applies exactly that file
    runner, status, outputs = job("plan", "push")
    assert status == 0 and outputs == {"changes": "true"}, runner.last.stderr
    assert json.loads((repo / "plan.json").read_text())["digest"].startswith("hmac-sha256:")
    assert workflow["jobs"]["apply"]["if"] == "needs.plan.outputs.changes == 'true'"
    runner, status, _ = job("apply", "push")
    assert status == 0, runner.last.stdout + runner.last.stderr
    dkim = [
        r for r in user_records(emulator, "mail.example") if r["name"] == "default._domainkey.mail.example"
    ]
    pub = (repo / "keys" / "mail.example_default.key.pub").read_text()
    assert len(dkim) == 1 and "".join(pub.split("-----")[2].split()) in dkim[0]["content"].replace('" "', "")

    # converged: the next plan has nothing to do, so the apply job would be skipped
    runner, status, outputs = job("plan", "push")
    assert status == 0 and outputs == {"changes": "false"}
    runner, status, _ = job("drift", "schedule")
    assert status == 0, runner.last.stdout + runner.last.stderr

    # a zone changed between the plan and apply jobs: apply fails with exit 3 and writes nothing
    zone_file = repo / "zones" / "example.com.yaml"
    emulator.add_record(
        "example.com", {"type": "A", "name": "stray.example.com", "content": "192.0.2.6", "ttl": 60}
    )
    runner, status, _ = job("drift", "schedule")  # the daily full plan fails on the drift
    assert status == 1 and "the live zones differ from main" in runner.last.stdout
    runner, status, outputs = job("plan", "push")  # the plan deletes the stray record
    assert outputs == {"changes": "true"}
    emulator.add_record(
        "example.com", {"type": "A", "name": "dash.example.com", "content": "192.0.2.5", "ttl": 60}
    )
    before = sorted(r["id"] for r in user_records(emulator, "example.com"))
    runner, status, _ = job("apply", "push")
    assert status == 3 and "the live zone changed" in runner.last.stderr
    assert sorted(r["id"] for r in user_records(emulator, "example.com")) == before

    # the plan artifact is missing (expired): apply fails naming it and writes nothing, never falling back
    # to the zone files
    (repo / "plan.json").unlink()
    runner, status, _ = job("apply", "push")
    assert status == 1 and "dns-plan" in runner.last.stdout and "run the plan job again" in runner.last.stdout
    assert sorted(r["id"] for r in user_records(emulator, "example.com")) == before

    # a broken zone file fails the plan step with exit 1 (neither "no changes" nor "changes")
    zone_file.write_text("zone: example.com\nrecords: {www: {type: A}}\n")
    runner, status, _ = job("plan-pr", "pull_request")
    assert status == 1


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


def test_gitlab_recipe_runs_as_shipped(emulator_with_samples: Emulator, repo: Path, tmp_path: Path) -> None:
    emulator = emulator_with_samples
    pipeline = yaml.safe_load((CI / "gitlab-ci.yml").read_text())
    server = ThreadingHTTPServer(("127.0.0.1", 0), NoteServer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    NoteServer.received = []
    base = runner_env(tmp_path, emulator)
    variables = {k: str(v) for k, v in pipeline["variables"].items()}
    assert variables["ZONESYNC_VERSION"] == f"zonesync=={zonesync.__version__}"  # a release from the index
    # the one thing a runner here cannot reach is GitHub: install from this checkout instead, through the
    # very same variable a user sets to pin a release or a commit
    ci_vars = {"CLOUDFLARE_API_TOKEN": "test-token", "ZONESYNC_PLAN_KEY": "plan-signing-key-0123456789abcdef",
               "ZONESYNC_VERSION": str(repo)}  # fmt: skip
    try:

        def job(name: str, **extra: str) -> subprocess.CompletedProcess[str]:
            script = "\n".join([*pipeline["default"]["before_script"], *pipeline[name]["script"]])
            job_vars = {k: str(v) for k, v in pipeline[name].get("variables", {}).items()}
            return shell(script, repo, {**base, **variables, **job_vars, **ci_vars, **extra})

        mr = {
            "CI_PIPELINE_SOURCE": "merge_request_event",
            "CI_MERGE_REQUEST_IID": "7",
            "CI_PROJECT_ID": "42",
            "CI_API_V4_URL": f"http://127.0.0.1:{server.server_address[1]}/api/v4",
            "ZONESYNC_GITLAB_TOKEN": "glpat-test",
            "CI_MERGE_REQUEST_DIFF_BASE_SHA": subprocess.run(
                ["git", "rev-parse", "origin/main"], cwd=repo, capture_output=True, text=True, check=True
            ).stdout.strip(),
        }
        proc = job("dns-plan", **mr)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "zonesync, version" in proc.stdout
        [(path, token, body)] = NoteServer.received
        assert path == "/api/v4/projects/42/merge_requests/7/notes" and token == "glpat-test"
        assert json.loads(body)["body"] == (repo / "plan.md").read_text()
        assert json.loads(body)["body"].startswith("<!-- zonesync-plan -->")

        proc = job("dns-plan", CI_COMMIT_BRANCH="main", CI_DEFAULT_BRANCH="main")
        assert proc.returncode == 0, proc.stderr
        assert len(NoteServer.received) == 1
        proc = job("dns-apply")
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert zonesync_in({**base, **ci_vars}, "plan", "--exit-code", cwd=repo).returncode == 0
        proc = job("dns-plan")
        assert proc.returncode == 0 and "no changes" in (repo / "plan.md").read_text()
        proc = job("dns-apply")
        assert proc.returncode == 0 and "Nothing to apply." in proc.stdout

        (repo / "plan.json").unlink()  # the dns-plan artifact expired: dns-apply names it, writes nothing
        proc = job("dns-apply")
        assert proc.returncode == 1 and "artifact of the dns-plan job" in proc.stderr

        assert job("dns-drift").returncode == 0
        emulator.add_record(
            "example.com", {"type": "A", "name": "d.example.com", "content": "192.0.2.7", "ttl": 60}
        )
        assert job("dns-drift").returncode == 2  # the daily full plan fails on the drift

        (repo / "zones" / "example.com.yaml").write_text("zone: example.com\nrecords: {www: {type: A}}\n")
        assert job("dns-plan").returncode == 1
    finally:
        server.shutdown()
        server.server_close()
