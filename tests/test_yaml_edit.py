"""The zone-file editor `dane pin` writes through: one mapping changed, every other line kept byte for byte,
or the edit refused; atomic, mode kept."""

from __future__ import annotations

import pytest

from zonesync.yaml_edit import EditError, set_values

FOUR_SPACES = """\
zone: example.com   # the zone
records:
    www:
        -   {type: A, value: 192.0.2.1}
        -   {type: AAAA, value: "2001:db8::1"}
mail:
    mx: [mx]   # flow list, kept
"""


@pytest.mark.parametrize(
    "text",
    [
        FOUR_SPACES,
        "# top\nzone: example.com\nmail:\n  mx:\n  - host: mx\n    priority: 10\n\n# trailing comment\n",
        "zone: example.com\nmail:\n  mx:\n    - host: mx\n      priority: 10  # lower first\n",
    ],
)
def test_every_other_line_is_kept(tmp_path, text):
    path = tmp_path / "z.yaml"
    path.write_text(text)
    path.chmod(0o640)
    set_values(path, ["mail", "dane", "mx"], {"current": "ab" * 32, "next": None})
    new = path.read_text()
    old_lines, new_lines = text.splitlines(), new.splitlines()
    assert [line for line in new_lines if line in old_lines] == old_lines  # all kept, in order
    assert f"current: {'ab' * 32}" in new
    assert path.stat().st_mode & 0o777 == 0o640


def test_updates_and_removes_in_place(tmp_path):
    path = tmp_path / "z.yaml"
    path.write_text("zone: example.com\nmail:\n  dane:\n    mx: {current: aa, next: bb}   # pins\n")
    set_values(path, ["mail", "dane", "mx"], {"current": "bb", "next": None})
    assert path.read_text() == "zone: example.com\nmail:\n  dane:\n    mx: {current: bb}             # pins\n"


def test_a_layout_it_cannot_keep_is_refused_untouched(tmp_path):
    path = tmp_path / "z.yaml"
    text = "zone: example.com\nrecords:\n  www: {type: A, value: 192.0.2.1}\nmail:\n     mx: [mx]\n"
    path.write_text(text)
    with pytest.raises(EditError, match="without reformatting other lines"):
        set_values(path, ["mail", "dane", "mx"], {"current": "ab"})
    assert path.read_text() == text


def test_not_a_mapping_on_the_way(tmp_path):
    path = tmp_path / "z.yaml"
    path.write_text("zone: example.com\nmail: [1]\n")
    with pytest.raises(EditError, match="`mail` is not a mapping"):
        set_values(path, ["mail", "dane"], {"mx": "x"})
