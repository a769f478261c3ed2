"""The YAML loader's bounds (nesting depth, alias expansion) and what it makes of non-text scalars."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from zonesync.cli import cli
from zonesync.zonefile import yaml_lines
from zonesync.zonefile.load import load_zone_file


def validate(path: Path):
    return CliRunner().invoke(cli, ["validate", str(path)])


def assert_refused(path: Path, line: int, words: str) -> None:
    result = validate(path)
    assert result.exit_code == 1, result.output
    assert result.output.startswith(f"Error: {path}:{line}: "), result.output
    assert words in result.output
    assert "Traceback" not in result.output and "internal error" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def alias_bomb(addresses: int, names: int) -> str:
    """One list of `addresses` addresses, reused by `names` record sets: addresses x names records."""
    ips = "".join(f"      - 10.{i >> 8 & 255}.{i & 255}.1\n" for i in range(addresses))
    sets = "".join(f"  h{i}: {{type: A, values: *ips}}\n" for i in range(names))
    return "zone: example.com\nrecords:\n  h:\n    type: A\n    values: &ips\n" + ips + sets


def test_alias_amplification_is_refused(tmp_path: Path) -> None:
    """The issue's file: 225 KB, one list of 10,000 addresses reused 1,000 times = 10 million records (it
    ran out of memory). Refused at the alias that crosses MAX_ALIAS_NODES (the tenth: 10 x 10,001 nodes)."""
    path = tmp_path / "bomb.yaml"
    path.write_text(alias_bomb(10_000, 1_000))
    first_alias_line = 5 + 10_000 + 1
    assert_refused(
        path, first_alias_line + 9, f"aliases expand to more than {yaml_lines.MAX_ALIAS_NODES:,} nodes"
    )


def test_nested_aliases_are_counted_expanded(tmp_path: Path) -> None:
    """A billion laughs: each level lists the one before nine times. Shared objects in memory, but counted
    as what they expand to, so the count is the same as the bomb's and is refused (in linear time)."""
    levels = ["  l0: &l0 [a, b, c, d, e, f, g, h, i]\n"]
    for n in range(1, 10):
        levels.append(f"  l{n}: &l{n} [{', '.join([f'*l{n - 1}'] * 9)}]\n")
    path = tmp_path / "laughs.yaml"
    path.write_text("zone: example.com\nmail:\n" + "".join(levels))
    result = validate(path)
    assert result.exit_code == 1 and "aliases expand to more than" in result.output


def test_reusing_a_small_list_is_fine(tmp_path: Path) -> None:
    path = tmp_path / "example.com.yaml"
    path.write_text(alias_bomb(5, 200))
    config = load_zone_file(path)
    assert len(config.records) == 5 * 201


def test_merge_keys_take_the_composer_path_with_the_same_bound(tmp_path: Path) -> None:
    path = tmp_path / "merge.yaml"
    text = alias_bomb(10_000, 20).replace("  h0: {type: A", "  h0: {<<: {comment: x}, type: A")
    path.write_text(text)
    assert_refused(path, 5 + 10_000 + 1 + 9, "aliases expand to more than")


def test_merge_keys_still_work(tmp_path: Path) -> None:
    path = tmp_path / "example.com.yaml"
    path.write_text(
        "zone: example.com\nrecords:\n  a: &base {type: A, value: 192.0.2.1, comment: hi}\n"
        "  b: {<<: *base, value: 192.0.2.2}\n"
    )
    config = load_zone_file(path)
    assert {(r.name, r.value, r.comment) for r in config.records} == {
        ("a.example.com", "192.0.2.1", "hi"),
        ("b.example.com", "192.0.2.2", "hi"),
    }


@pytest.mark.parametrize(
    ("body", "line"),
    [
        ("records:\n  www: " + "{a: " * 2000 + "1" + "}" * 2000 + "\n", 3),  # a RecursionError before
        ("mail:\n" + "".join("  " * (i + 1) + "a:\n" for i in range(1500)) + "  " * 1501 + "b: 1\n", 66),
        ("records:\n  www:\n    type: TXT\n    value: " + "[" * 900 + "]" * 900 + "\n", 5),
        ("x: &a " + "[" * 40 + "]" * 40 + "\ny: &b " + "[" * 30 + "*a" + "]" * 30 + "\n", 3),  # via aliases
    ],
    ids=["flow-mappings", "block-mappings", "flow-lists", "aliases"],
)
def test_deep_nesting_is_refused(tmp_path: Path, body: str, line: int) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text("zone: example.com\n" + body)
    assert_refused(path, line, f"nested more than {yaml_lines.MAX_DEPTH} levels deep")


def test_an_alias_inside_its_own_anchor_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "loop.yaml"
    path.write_text("zone: example.com\nmail: &m\n  hosts: *m\n")
    assert_refused(path, 3, "alias *m is inside its own anchor")
    path.write_text("zone: example.com\nmail: &m !!map\n  <<: {a: 1}\n  hosts: *m\n")  # the composer path
    assert_refused(path, 4, "alias *m is inside its own anchor")


@pytest.mark.parametrize(
    ("record", "words"),
    [
        (
            "{type: A, value: 192.0.2.1, ttl: true}",
            'ttl: must be a number of seconds or "auto", not true/false',
        ),
        (
            "{type: TXT, value: !!binary aGVsbG8=}",
            "value: a TXT value must be text, not binary data (!!binary)",
        ),
        ("{type: TXT, value: 010}", "value: a TXT value must be text, not the number 8; put it in quotes"),
        ("{type: TXT, value: 2024-01-01}", "value: a TXT value must be text, not the date 2024-01-01"),
        ("{type: TXT, value: 1.10}", "value: a TXT value must be text, not the number 1.1"),
        ("{type: TXT, values: [ok, yes]}", "values[1]: a TXT value must be text, not true/false"),
        ("{type: A, value: 192.0.2.1, proxied: 1}", "proxied: must be true or false, not the number 1"),
        ("{type: A, value: 192.0.2.1, comment: 12}", "comment: must be a string, not the number 12"),
    ],
)
def test_non_text_scalars_are_type_errors(tmp_path: Path, record: str, words: str) -> None:
    path = tmp_path / "example.com.yaml"
    path.write_text(f"zone: example.com\nrecords:\n  www: {record}\n")
    assert_refused(path, 3, f"records.www.{words}")


def test_numeric_keys_are_names_as_written(tmp_path: Path) -> None:
    path = tmp_path / "example.com.yaml"
    path.write_text(
        "zone: example.com\nrecords:\n  010: {type: A, value: 192.0.2.1}\n  1_0: {type: A, value: 192.0.2.2}\n"
    )
    assert {r.name for r in load_zone_file(path).records} == {"010.example.com", "1_0.example.com"}


# -- the event builder against PyYAML's own composer and resolver ---------------------------------------------

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-1000, 1000),
    st.sampled_from(
        ["yes", "no", "on", "off", "~", "null", "010", "0x1f", "1_0", "1.5", "2024-01-01", ".inf"]
    ),
    st.sampled_from(["10.0.0.1", "type", "value", "A", "www", "=", "<<x", "-", "+1", "", "hello world"]),
    st.text(max_size=8),
)
_documents = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(min_size=1, max_size=6), inner, max_size=4)
    ),
    max_leaves=20,
)


def _lines(value: object) -> object:
    """The value with the line information the loader attaches, for comparison."""
    if isinstance(value, yaml_lines.LineDict):
        return ("map", value.line, [(k, value.line_of(k), _lines(v)) for k, v in value.items()])
    if isinstance(value, yaml_lines.LineList):
        return ("seq", value.line, [(value.line_of(i), _lines(v)) for i, v in enumerate(value)])
    return (type(value).__name__, value)


@settings(max_examples=300, deadline=None)
@given(_documents, st.booleans(), st.sampled_from([None, '"', "'"]))
def test_event_builder_is_pyyamls_composer(doc: object, flow: bool, style: str | None) -> None:
    """Same values, types and lines as PyYAML's composer with the loader's constructors, whatever the
    scalars' spelling: plain scalars are taken as strings without the resolver only where it agrees."""
    text = yaml.safe_dump(doc, default_flow_style=flow, default_style=style, allow_unicode=True)
    assert _lines(yaml_lines._load_events(text)) == _lines(yaml.load(text, Loader=yaml_lines._Loader))
