"""The interop layer: zonesync against servers nobody here wrote (Debian's nginx, Knot DNS, unbound, postfix,
opendkim, swaks) and a real GitLab CI runner (gitlab-ci-local). `make test-interop` installs them
(tests/interop/install.sh) and runs this folder; plain `make test` leaves it out (tests/conftest.py).

Without root or the programs the tests skip, saying why in one line. With ZONESYNC_INTEROP=required (CI,
`.ci/run`) a skip is a failure: the layer must run everywhere it is asked to.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from harness import tool

ROOT = Path(__file__).resolve().parents[2]
GITLAB_CI_LOCAL = (
    Path(os.environ.get("ZONESYNC_INTEROP_CACHE", ROOT / ".interop-cache"))
    / "node_modules/.bin/gitlab-ci-local"
)
REQUIRED = os.environ.get("ZONESYNC_INTEROP") == "required"

VERSIONS: dict[str, tuple[list[str], str]] = {
    # what runs: the command that prints its version, and the pattern that picks it out
    "nginx": (["nginx", "-v"], r"nginx/(\S+)"),
    "knot": (["knotd", "-V"], r"version (\S+)"),
    "unbound": (["unbound", "-V"], r"Version (\S+)"),
    "postfix": (["postconf", "-d", "mail_version"], r"= (\S+)"),
    "opendkim": (["opendkim", "-V"], r"Filter v(\S+)"),
    "swaks": (["swaks", "--version"], r"version (\S+)"),
    "gitlab-ci-local": ([str(GITLAB_CI_LOCAL), "--version"], r"(\d+\.\d+\.\d+)"),
}


def version_of(name: str) -> str | None:
    """The version the program reports, read at run time (None: not installed)."""
    argv, pattern = VERSIONS[name]
    program = argv[0] if "/" in argv[0] else tool(argv[0])
    if program is None or not Path(program).exists():
        return None
    proc = subprocess.run([program, *argv[1:]], capture_output=True, text=True, timeout=30, check=False)
    match = re.search(pattern, proc.stdout + proc.stderr)
    return match.group(1) if match else "?"


_versions: dict[str, str | None] = {}


def versions() -> dict[str, str | None]:
    if not _versions:
        _versions.update({name: version_of(name) for name in VERSIONS})
    return _versions


def pytest_report_header(config: pytest.Config) -> list[str]:
    found = versions()
    shown = ", ".join(f"{name} {found[name] or 'missing'}" for name in VERSIONS)
    return [
        f"interop: {shown}",
        f"interop: root={os.geteuid() == 0}, ZONESYNC_INTEROP={os.environ.get('ZONESYNC_INTEROP', '')}",
    ]


def missing(*names: str) -> str | None:
    """Why these programs cannot run here (one line), or None."""
    if os.geteuid() != 0:
        return "interop tests need root (servers' own users, ports, apt-get): run `make test-interop` as root"
    absent = [n for n in names if versions().get(n) is None]
    if absent:
        return f"not installed: {', '.join(absent)} (run `make test-interop`, which installs them)"
    return None


@pytest.fixture
def needs() -> Any:
    """`needs("nginx", ...)`: skip (fail under ZONESYNC_INTEROP=required) when they cannot run here."""

    def check(*names: str) -> None:
        reason = missing(*names)
        if reason is not None:
            pytest.skip(reason)

    return check


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Iterator[None]:
    """Under ZONESYNC_INTEROP=required a skip is a failure (an xfail stays what it is)."""
    outcome = yield
    report = outcome.get_result()
    if REQUIRED and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped under ZONESYNC_INTEROP=required: {reason}"
