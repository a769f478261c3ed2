"""The user documentation holds together: README.md and docs/*.md link only to files (and headings) that exist,
the README stays a short tour that opens with the two commands that work on a fresh machine, and the zone
files and commands it shows work as shown (run through the real CLI, against the emulator)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner
from emu_records import user_records

from zonesync.cli import cli
from zonesync.emulator.sample import sample_seed
from zonesync.emulator.server import Emulator

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
PAGES = [README, *sorted((ROOT / "docs").glob("*.md"))]

FENCE = re.compile(r"^```.*?^```", re.S | re.M)
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def prose(path: Path) -> str:
    """The page without its fenced code blocks (a link inside one is an example, not a link)."""
    return FENCE.sub("", path.read_text(encoding="utf-8"))


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation but '-' and '_' dropped, spaces to '-'."""
    text = heading.strip().lower().replace("`", "")
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    return {slug(line.lstrip("#")) for line in prose(path).splitlines() if re.match(r"#{1,6} ", line)}


def links(path: Path) -> list[str]:
    return [t for t in LINK.findall(prose(path)) if not re.match(r"[a-z][a-z0-9+.-]*:", t)]


def test_pages_exist_and_have_links() -> None:
    names = {p.name for p in PAGES}
    assert {"zone-file.md", "mail.md", "verify.md", "git-ops.md", "emulator.md", "performance.md"} <= names
    assert {"reliability.md", "README.md"} <= names
    assert sum(len(links(p)) for p in PAGES) > 20


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(page: Path) -> None:
    broken = []
    for target in links(page):
        file, _, anchor = target.partition("#")
        dest = (page.parent / file).resolve() if file else page
        if not dest.exists():
            broken.append(f"{target}: no such file")
        elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
            broken.append(f"{target}: no heading #{anchor} in {dest.name}")
    assert not broken, broken


def test_slug_follows_github() -> None:
    assert slug("Output: `--format text | json | markdown`") == "output---format-text--json--markdown"
    assert slug("Git-ops") == "git-ops" and slug("The zone file (v1)") == "the-zone-file-v1"


def test_readme_is_short_and_opens_with_the_two_commands() -> None:
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 300
    first_block = FENCE.search(text)
    assert first_block is not None
    before = text[: first_block.start()]
    assert "\n## " not in before  # the commands come before any section
    commands = [line.split("#")[0].strip() for line in first_block.group().splitlines()[1:-1]]
    assert commands == ["make demo", "make test"]


def readme_blocks(lang: str) -> list[str]:
    return re.findall(rf"^```{lang}\n(.*?)^```", README.read_text(encoding="utf-8"), re.S | re.M)


def readme_commands() -> set[str]:
    """Every `zonesync ...` line of the README's shell blocks, comments dropped."""
    lines = (line.split("  #")[0].strip() for block in readme_blocks("sh") for line in block.splitlines())
    return {line for line in lines if line.startswith("zonesync ")}


def run_as_shown(line: str, workdir: Path, port: int | None = None) -> str:
    """Run one command line of the README through the CLI; `> FILE` is honoured. Returns its output."""
    assert line in readme_commands(), f"not in the README: {line}"
    command, _, out = line.partition(" > ")
    args = shlex.split(command)[1:]
    if port is not None:
        args = [a.replace("127.0.0.1:5353", f"127.0.0.1:{port}") for a in args]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, f"{line}: exit {result.exit_code}\n{result.output}"
    if out:
        (workdir / out).write_text(result.stdout)
    return result.output


def test_readme_zone_file_validates_and_applies(workdir: Path, emulator: Emulator) -> None:
    """The README's zone file, through the first-run and pipeline commands it shows; the plan after is empty."""
    zone = next(b for b in readme_blocks("yaml") if "\nrecords:\n" in b and "\nmail:" not in b)
    (workdir / "zones" / "example.com.yaml").write_text(zone)
    assert "example.com: 5 records OK" in run_as_shown("zonesync validate", workdir)
    assert "+ create www CNAME example.com." in run_as_shown("zonesync plan", workdir)
    run_as_shown("zonesync apply --yes", workdir)
    assert user_records(emulator, "example.com")
    line = "zonesync plan --exit-code --format markdown --out plan.json > plan.md"
    run_as_shown(line, workdir)
    assert (workdir / "plan.md").read_text().startswith("<!-- zonesync-plan -->")
    assert "Nothing to apply" in run_as_shown("zonesync apply --yes plan.json", workdir)


def test_readme_mail_block_validates(workdir: Path) -> None:
    block = next(b for b in readme_blocks("yaml") if b.startswith("zone: example.com\nmail:\n"))
    (workdir / "zones" / "example.com.yaml").write_text(block)
    assert "example.com: 9 records OK" in run_as_shown("zonesync validate", workdir)


def test_readme_mail_commands_on_the_sample_seed(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The mail section's commands as shown, on the emulator's bundled sample zone (`--sample-seed`), then
    verify against the emulator's nameserver."""
    emu = Emulator(tokens=("test-token",), zones=(), rate_limit=0, seed=sample_seed(), dns_port=0).start()
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", "test-token")
    monkeypatch.setenv("CLOUDFLARE_BASE_URL", emu.url)
    try:
        run_as_shown("zonesync import example.com --mail", workdir)
        assert "~ update _mta-sts TXT" in run_as_shown("zonesync plan", workdir)
        run_as_shown("zonesync apply --yes", workdir)
        assert "no changes" in run_as_shown("zonesync plan --exit-code", workdir)
        assert "What it does" in run_as_shown("zonesync explain example.com", workdir)
        assert "default._domainkey.example.com TXT" in run_as_shown("zonesync dkim show example.com", workdir)
        assert "version: STSv1" in run_as_shown("zonesync mta-sts policy example.com", workdir)
        verify = "zonesync verify --nameserver 127.0.0.1:5353 --dns-only"
        assert "Verification passed" in run_as_shown(verify, workdir, port=emu.dns.port)
    finally:
        emu.stop()
