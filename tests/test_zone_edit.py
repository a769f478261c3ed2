"""The zone-file editor: edits land where asked, and every other line of a commented file stays byte-identical."""

from __future__ import annotations

import datetime
import difflib
import os
import stat

import pytest
import yaml

from zonesync.zonefile.edit import YamlEdit, ZoneEditError, write_atomic

COMMENTED = """\
# example.com: production zone  (owner: ops)
zone: example.com   # apex

# ----- web -----
records:
  "@": {type: A, value: 203.0.113.10}     # odd spacing before the comment
  www:   {type: CNAME, value: example.com., proxied: true}
  'txt':
    - {type: TXT, value: "hello; world"}  # flow item
    - type: TXT
      value: 'single quoted'   # kept quoted

mail:
    preset: maddy      # four-space indentation in this block
    mx:
    -   host: mx       # dash at the key's column
        priority: 10
    dkim:
        # the key maddy signs with
        - selector: default
          algorithm: rsa2048   # RSA
          state: active

        # a trailing comment inside the list
    dmarc:
        rua: ["mailto:dmarc@example.com"]
# the end
"""


def _changed_old_lines(old: str, new: str) -> set[int]:
    """Line numbers (0-based) of the old text that the new text does not keep byte for byte."""
    changed: set[int] = set()
    matcher = difflib.SequenceMatcher(a=old.split("\n"), b=new.split("\n"), autojunk=False)
    for tag, i1, i2, _, _ in matcher.get_opcodes():
        if tag in ("replace", "delete"):
            changed.update(range(i1, i2))
    return changed


def test_untouched_lines_stay_byte_identical() -> None:
    doc = YamlEdit(COMMENTED)
    doc.set_scalar(("mail", "dkim", 0), "state", "retiring")
    doc.set_scalar(("mail", "dkim", 0), "retiring_since", datetime.date(2026, 12, 5))
    doc.append(("mail", "dkim"), {"selector": "s2026q4", "state": "next"})
    new = doc.text
    old_lines = COMMENTED.split("\n")
    state_line = next(i for i, ln in enumerate(old_lines) if "state: active" in ln)
    assert _changed_old_lines(COMMENTED, new) == {state_line}  # only the value that changed
    assert "          state: retiring\n          retiring_since: 2026-12-05\n" in new
    assert "        - selector: s2026q4\n          state: next\n" in new  # at the list's own indentation
    for line in old_lines:  # every comment is still there, verbatim
        if "#" in line and "state: active" not in line:
            assert line in new.split("\n")
    data = yaml.safe_load(new)
    assert data["mail"]["dkim"] == [
        {"selector": "default", "algorithm": "rsa2048", "state": "retiring",
         "retiring_since": datetime.date(2026, 12, 5)},
        {"selector": "s2026q4", "state": "next"},
    ]  # fmt: skip
    assert data["records"] == yaml.safe_load(COMMENTED)["records"]


def test_value_replaced_keeps_the_comment_after_it() -> None:
    doc = YamlEdit(COMMENTED)
    doc.set_scalar(("mail",), "preset", "rspamd")
    assert "    preset: rspamd      # four-space indentation in this block\n" in doc.text
    assert _changed_old_lines(COMMENTED, doc.text) == {13}


def test_delete_item_and_key_remove_only_their_lines() -> None:
    doc = YamlEdit(COMMENTED)
    doc.append(("mail", "dkim"), {"selector": "s2026q4", "state": "next"})
    doc.delete_item(("mail", "dkim"), 0)
    doc.delete_key(("mail",), "dmarc")
    new = doc.text
    removed = _changed_old_lines(COMMENTED, new)
    lines = COMMENTED.split("\n")
    assert {lines[i].strip() for i in removed} == {
        "- selector: default", "algorithm: rsa2048   # RSA", "state: active",
        "dmarc:", 'rua: ["mailto:dmarc@example.com"]',
    }  # fmt: skip
    assert yaml.safe_load(new)["mail"]["dkim"] == [{"selector": "s2026q4", "state": "next"}]
    assert "# the end" in new and "# the key maddy signs with" in new


def test_put_adds_a_section_after_the_last_key() -> None:
    text = "zone: example.com\nmail:\n  preset: maddy  # hi\n# tail\n"
    doc = YamlEdit(text)
    doc.put(
        ("mail",), "dkim", [{"selector": "default", "state": "active"}, {"selector": "s1", "state": "next"}]
    )
    assert doc.text.startswith("zone: example.com\nmail:\n  preset: maddy  # hi\n  dkim:\n")
    assert doc.text.endswith("# tail\n")
    assert yaml.safe_load(doc.text)["mail"]["dkim"][1] == {"selector": "s1", "state": "next"}


def test_flow_collections_are_refused_not_rewritten() -> None:
    text = "mail:\n  dkim: [{selector: a}]\n"
    with pytest.raises(ZoneEditError, match="flow style"):
        YamlEdit(text).append(("mail", "dkim"), {"selector": "b"})
    with pytest.raises(ZoneEditError, match="flow style"):
        YamlEdit("mail: {preset: maddy}\n").set_scalar(("mail",), "preset", "mox")


def test_quoted_values_with_hashes_are_replaced_whole() -> None:
    doc = YamlEdit("a:\n  b: 'x # not a comment' # real\n")
    doc.set_scalar(("a",), "b", "y")
    assert doc.text == "a:\n  b: y # real\n"


def test_write_atomic_keeps_the_mode_and_refuses_a_changed_file(tmp_path) -> None:
    path = tmp_path / "z.yaml"
    path.write_text("a: 1\n")
    os.chmod(path, 0o640)
    write_atomic(path, "a: 2\n", expected="a: 1\n")
    assert path.read_text() == "a: 2\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    with pytest.raises(ZoneEditError, match="changed while"):
        write_atomic(path, "a: 3\n", expected="a: 1\n")
    assert path.read_text() == "a: 2\n"
    assert [p.name for p in tmp_path.iterdir()] == ["z.yaml"]  # no temporary file left behind
