"""The layering the README's module map promises, checked through `sys.modules` in a fresh interpreter:
nothing below the command layer imports click, and the pure core (differ, mail expansion) imports no I/O."""

from __future__ import annotations

import json

from clirun import python

CORE = (
    "zonesync.model",
    "zonesync.errors",
    "zonesync.plan",
    "zonesync.rdata",
    "zonesync.yamlfile",
    "zonesync.loader",
    "zonesync.zonefiles",
    "zonesync.parallel_parse",
    "zonesync.validate",
    "zonesync.differ",
    "zonesync.safety",
    "zonesync.planfile",
    "zonesync.mail",
    "zonesync.mail.api",
    "zonesync.mail.spec",
    "zonesync.mail.expand",
    "zonesync.mail.checks",
    "zonesync.orchestrate",
    "zonesync.live_reads",
    "zonesync.providers.cloudflare",
    "zonesync.providers.cloudflare_records",
)
IO = ("zonesync.providers", "cloudflare", "httpx")


def loaded_after(*modules: str, block: str | None = None) -> set[str]:
    """The modules a fresh interpreter holds after importing `modules` (and using `zonesync.mail`'s
    lazily loaded entry points, which is what importing it is for). With `block`, that module cannot be
    imported at all (None in `sys.modules`): any import of it raises ImportError."""
    code = (
        "import importlib, json, sys\n"
        f"if {block!r}:\n"
        f"    sys.modules[{block!r}] = None\n"
        f"for name in {list(modules)!r}:\n"
        "    importlib.import_module(name)\n"
        "if 'zonesync.mail' in sys.modules:\n"
        "    import zonesync.mail as m\n"
        "    m.mail_records, m.mail_spec, m.policy_for\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    proc = python(code)
    assert proc.returncode == 0, proc.stderr
    return set(json.loads(proc.stdout))


def test_core_imports_no_click() -> None:
    """httpx (under the SDK) loads click for its own command line when click is installed, so the
    providers are checked with click made unimportable: the import fails if any zonesync module needs it."""
    loaded = loaded_after(*CORE, block="click")
    assert set(CORE) <= loaded
    assert not {m for m in loaded if m.startswith("zonesync.cli")}


def test_pure_core_loads_no_click_at_all() -> None:
    pure = [m for m in CORE if not m.startswith("zonesync.providers")]
    loaded = loaded_after(*pure)
    assert not {m for m in loaded if m == "click" or m.startswith(("click.", "zonesync.cli"))}


def test_differ_and_mail_expansion_import_no_io() -> None:
    loaded = loaded_after("zonesync.differ", "zonesync.mail", "zonesync.mail.expand", "zonesync.mail.checks")
    io = {m for m in loaded if m in IO or m.startswith(tuple(f"{p}." for p in IO))}
    assert not io, f"the pure core imported I/O modules: {sorted(io)}"


def test_the_command_layer_is_where_click_is() -> None:
    """The check above is not vacuous: the command layer does import click."""
    assert "click" in loaded_after("zonesync.cli")
