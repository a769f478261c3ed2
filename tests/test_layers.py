"""The layers, read from the source: every import of every module (top level, inside functions, under
`TYPE_CHECKING`) is an arrow, because a type named by a lower layer ties it to the higher one even where
Python never loads it. No arrow may point up the layers or sideways into another package of the same
layer, no module may reach itself through others, and click is the command layer's alone.

The layers (docs/architecture.md), top to bottom:

    cli (and every __main__)  commands: options, printing, exit codes
    render                   plans, outcomes, verify and receiver reports as text and Markdown
    run, reports             the runs: plan and apply (files, provider, worker steps, outcome), a DKIM
                             rotation's steps; the receivers' DMARC and TLS-RPT reports explained
    verify                   DNS, HTTPS and SMTP as a sending server sees them
    cloudflare               the I/O edge to Cloudflare: the SDK
    plan                     desired zone, diff, safety, the plan value and its saved file
    mail                     the mail block: parse, expand, check, keys
    zonefile                 zone files read into typed, canonical records
    base                     what every layer uses: escaping, plurals, the clock, the deferred imports,
                             secure files
    model                    records and errors (the modules at the top of the package)

The emulator models Cloudflare, not zonesync: it imports nothing of zonesync outside itself, and only the
command layer starts it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "zonesync"
LAYERS: dict[str, int] = {
    "zonesync": 0,  # the modules at the top of the package: model, errors
    "zonesync.base": 1,
    "zonesync.zonefile": 2,
    "zonesync.mail": 3,
    "zonesync.plan": 4,
    "zonesync.cloudflare": 5,
    "zonesync.verify": 6,
    "zonesync.run": 7,
    "zonesync.reports": 7,
    "zonesync.render": 8,
    "zonesync.cli": 9,
}
EMULATOR = "zonesync.emulator"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def imports(module: str) -> Iterator[tuple[str, int]]:
    """Every module `module` imports (zonesync's and third parties'), with the line, wherever it stands."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            for alias in node.names:
                full = f"{target}.{alias.name}"
                yield (full if full in MODULES else target), node.lineno


def zonesync_edges() -> dict[str, set[str]]:
    return {m: {t for t, _ in imports(m) if t in MODULES and t != m} for m in MODULES}


def layer_of(module: str) -> tuple[str, int] | None:
    """The layer's package and rank; None for the emulator."""
    if module.rpartition(".")[2] == "__main__":
        return "zonesync.cli", LAYERS["zonesync.cli"]  # `python -m ...`: an entry point, a command
    if module == EMULATOR or module.startswith(EMULATOR + "."):
        return None
    best = max((p for p in LAYERS if module == p or module.startswith(p + ".")), key=len)
    if best == "zonesync" and module.count(".") > 1:
        raise AssertionError(f"{module} is in a package no layer names: add it to LAYERS")
    return best, LAYERS[best]


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_import_cycles() -> None:
    assert cycles(zonesync_edges()) == []


def test_the_cycle_finder_finds_cycles() -> None:
    """Not vacuous: a loop through three modules and a pair are both found; a chain is not."""
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"e"}, "e": {"d"}, "f": {"a"}}
    assert sorted(cycles(edges)) == [["a", "b", "c"], ["d", "e"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def arrows_against_the_layers() -> list[str]:
    wrong = []
    for module in sorted(MODULES):
        here = layer_of(module)
        for target, line in imports(module):
            if target not in MODULES:
                continue
            there = layer_of(target)
            if here is None or there is None:
                if (here is None) != (there is None) and not (here and here[0] == "zonesync.cli"):
                    wrong.append(f"{module}:{line} -> {target} (the emulator stands apart)")
                continue
            (pkg, rank), (target_pkg, target_rank) = here, there
            if pkg == target_pkg or rank > target_rank:
                continue
            side = "up" if target_rank > rank else "sideways"
            wrong.append(f"{module}:{line} -> {target} ({side}: {pkg} to {target_pkg})")
    return wrong


def test_no_arrow_up_or_sideways() -> None:
    assert arrows_against_the_layers() == []


def test_every_package_has_a_layer() -> None:
    for module in MODULES:
        layer_of(module)


@pytest.mark.parametrize("module", sorted(m for m in MODULES if not m.startswith("zonesync.cli")))
def test_click_is_the_command_layers_alone(module: str) -> None:
    names = {t for t, _ in imports(module)}
    assert not {n for n in names if n == "click" or n.startswith("click.")}, module


def test_the_command_layer_does_import_click() -> None:
    """Not vacuous: the reader sees click where it is."""
    assert "click" in {t for t, _ in imports("zonesync.cli")}


NETWORK = ("cloudflare", "httpx", "httpcore", "ssl", "http", "urllib.request", "smtplib", "dns.query")
"""Network clients (`socket` is left out: rdata uses its inet_pton, which touches no network)."""
PURE = ("zonesync.zonefile", "zonesync.mail", "zonesync.plan")


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m.startswith(PURE)))
def test_the_pure_layers_touch_no_network(module: str) -> None:
    """Zone files, mail expansion and checks, and plans are pure logic: no network library, wherever
    imported."""
    names = {t for t, _ in imports(module)}
    assert not {n for n in names if n in NETWORK or n.startswith(tuple(f"{p}." for p in NETWORK))}, module
