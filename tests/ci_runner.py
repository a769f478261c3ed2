"""A small stand-in for the CI runners, for tests: a fresh copy of the checkout, a fresh Python
environment to install zonesync into, and enough of GitHub Actions' and GitLab's job semantics (steps,
`${{ }}` expressions in `env:`/`with:`, step outputs, composite actions) to run the shipped recipes'
shell steps exactly as written."""

from __future__ import annotations

import re
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def copy_checkout(dest: Path) -> Path:
    """The files a fresh clone has (tracked, plus new files git does not ignore): nothing left over in the
    developer's tree (keys, .venv, .demo) can make a recipe pass."""
    names = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    for name in filter(None, names.split("\0")):
        src = ROOT / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            (dest / name).write_bytes(src.read_bytes())
    return dest


def fresh_python(dest: Path) -> Path:
    """A new virtualenv in which zonesync is NOT installed. Everything else (pip, setuptools, zonesync's
    dependencies) is borrowed from the test environment through a folder of links, so the recipes'
    `pip install` step builds and installs only zonesync, from the given source, without a download."""
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(dest)], check=True, capture_output=True
    )
    py = dest / "bin" / "python"
    site = Path(
        subprocess.run(
            [str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()
    )  # fmt: skip
    deps = dest / "borrowed"
    deps.mkdir()
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        if entry.name.lower().startswith(("zonesync", "__editable__", "_zonesync")) or entry.suffix == ".pth":
            continue
        (deps / entry.name).symlink_to(entry)
    (site / "_borrowed.pth").write_text(f"{deps}\n")
    pip = dest / "bin" / "pip"
    pip.write_text(f"#!{py}\nimport sys\nfrom pip._internal.cli.main import main\nsys.exit(main())\n")
    pip.chmod(0o755)
    return dest / "bin"


def expand(text: str, ctx: dict[str, Any]) -> str:
    """`${{ a.b.c }}` against a nested dict; unknown names expand to ''."""

    def value(match: re.Match[str]) -> str:
        node: Any = ctx
        for part in match.group(1).split("."):
            node = node.get(part, "") if isinstance(node, dict) else ""
        return str(node)

    return EXPR.sub(value, str(text))


def shell(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """A step the way the runners run it: bash with -e and pipefail."""
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def read_outputs(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


class GitHubRunner:
    """Runs one job's steps. `uses:` of zonesync's own action runs action.yml's composite steps; the other
    actions are stood in for (checkout: the workspace is the checkout; setup-python: Python is there;
    artifacts: jobs share the workspace). A step that needs GitHub itself (the PR comment) is recorded, not
    run, with the env it would have had."""

    def __init__(self, workspace: Path, action_dir: Path, env: dict[str, str], secrets: dict[str, str],
                 event: str, pr_number: str = "7", variables: dict[str, str] | None = None) -> None:  # fmt: skip
        self.workspace, self.action_dir, self.base_env = workspace, action_dir, env
        self.github = {"event_name": event, "action_path": str(action_dir), "token": "ghs-test",
                       "base_ref": "main" if event == "pull_request" else "",
                       "event": {"pull_request": {"number": pr_number}}}  # fmt: skip
        self.secrets = secrets
        self.vars = dict(variables or {})
        """The repository's configuration variables (`vars.NAME`)."""
        self.not_run: list[tuple[str, dict[str, str]]] = []
        self.tmp = workspace / ".runner-temp"
        self.tmp.mkdir(exist_ok=True)

    def run_job(self, workflow: dict, name: str) -> tuple[int, dict[str, str]]:
        job = workflow["jobs"][name]
        steps: dict[str, dict[str, Any]] = {}
        ctx = {"github": self.github, "secrets": self.secrets, "vars": self.vars, "steps": steps}
        env = {**self.base_env, **{k: expand(v, ctx) for k, v in job.get("env", {}).items()}}
        failed = 0
        self.statuses: dict[str, int] = {}
        for step in job["steps"]:
            if failed and step.get("if", "").strip() not in ("${{ !cancelled() }}", "${{ always() }}"):
                continue  # after a failure, only steps that ask to run anyway
            status, outputs = self.run_step(step, env, ctx)
            if "id" in step:
                steps[step["id"]] = {"outputs": outputs}
                self.statuses[step["id"]] = status
            failed = failed or status
        job_outputs = {k: expand(v, ctx) for k, v in job.get("outputs", {}).items()}
        return failed, job_outputs

    def run_step(self, step: dict, env: dict[str, str], ctx: dict[str, Any]) -> tuple[int, dict[str, str]]:
        uses = step.get("uses", "")
        if uses.startswith("zonesync/zonesync@"):
            return self.run_action({k: expand(v, ctx) for k, v in step.get("with", {}).items()}, env)
        if uses:
            assert uses.split("@")[0] in {
                "actions/checkout", "actions/setup-python", "actions/upload-artifact", "actions/download-artifact",
            }, uses  # fmt: skip
            return 0, {}
        return self.run_script(step["run"], {**env, **{k: expand(v, ctx) for k, v in step.get("env", {}).items()}},
                               self.workspace)  # fmt: skip

    def run_script(self, script: str, env: dict[str, str], cwd: Path) -> tuple[int, dict[str, str]]:
        assert "${{" not in script, "expressions belong in env:, not in scripts"
        out = self.tmp / "github_output"
        out.write_text("")
        full = {**env, "GITHUB_OUTPUT": str(out), "GITHUB_STEP_SUMMARY": str(self.workspace / "summary.md"),
                "RUNNER_TEMP": str(self.tmp), "GITHUB_EVENT_NAME": self.github["event_name"]}  # fmt: skip
        proc = shell(script, cwd, full)
        self.last = proc
        return proc.returncode, read_outputs(out)

    def run_action(self, given: dict[str, str], env: dict[str, str]) -> tuple[int, dict[str, str]]:
        import yaml

        action = yaml.safe_load((self.action_dir / "action.yml").read_text())
        inputs = {
            k: expand(spec.get("default", ""), {"github": self.github})
            for k, spec in action["inputs"].items()
        }
        unknown = set(given) - set(inputs)
        assert not unknown, f"inputs the action does not declare: {unknown}"
        inputs.update(given)
        steps: dict[str, dict[str, Any]] = {}
        ctx = {"github": self.github, "inputs": inputs, "steps": steps}
        for step in action["runs"]["steps"]:
            if step.get("uses", "").startswith("actions/setup-python"):
                continue
            if "if" in step and not self.condition(step["if"], ctx):
                continue
            step_env = {**env, **{k: expand(v, ctx) for k, v in step.get("env", {}).items()}}
            if step.get("name") == "Comment on the pull request":
                self.not_run.append((step["name"], step_env))
                continue
            cwd = self.workspace / expand(step.get("working-directory", "."), ctx)
            status, outputs = self.run_script(step["run"], step_env, cwd)
            if "id" in step:
                steps[step["id"]] = {"outputs": outputs}
            if status != 0:
                return status, {}
        return 0, {k: expand(v["value"], ctx) for k, v in action.get("outputs", {}).items()}

    def condition(self, text: str, ctx: dict[str, Any]) -> bool:
        """The `&&` of `a.b == 'x'` terms: all the action's conditions need."""
        for term in text.split("&&"):
            left, right = (t.strip() for t in term.split("=="))
            if expand("${{ " + left + " }}", ctx) != right.strip("'"):
                return False
        return True
