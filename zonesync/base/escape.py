"""Text from outside (live records, DNS answers, HTTP and SMTP servers, files a pull request adds) made safe to
show: the one escaping function every byte zonesync prints goes through, and its Markdown and JSON forms.

A terminal obeys control sequences in what it prints: OSC 52 writes the clipboard, OSC 0 the window title, CSI
clears the screen or hides text, a carriage return overwrites the start of a line, and a bidi override reorders
what the reviewer reads. So every character of those kinds is shown as an escape, visibly:

- C0 controls (except newline, tab and CRLF line ends where lines are kept) and DEL: `\\x1b`, `\\x7f`;
- C1 controls U+0080-U+009F (U+009B is the 8-bit CSI): `\\u009b`;
- a byte that was not UTF-8 (read with `surrogateescape`, so U+DC80-U+DCFF): `\\xff` — `\\x80`-`\\xff` can only
  be such a byte, since a character U+0080-U+00FF is printed as itself or as `\\u00XX`;
- any other lone surrogate and the Unicode bidi controls (U+061C, U+200E/F, U+202A-U+202E, U+2066-U+2069)
  and the line/paragraph separators U+2028/U+2029: `\\u202e`.

A backslash is left as it is, so that escaping is idempotent (a renderer may escape a value and the output
boundary the whole line again) and values in zone-file presentation (`\\"`, `\\032`) read as before; the
price is that a value holding the four characters `\\x1b` looks like one holding ESC. Exact values are in
`--format json`, where every character is JSON-escaped (`json_text`). Pure.
"""

from __future__ import annotations

import re

SGR = re.compile("\x1b\\[[0-9;]*m")
"""A Select Graphic Rendition sequence: the only escape sequence zonesync itself writes (its colours)."""
_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029"
_UNSAFE_IN_LINES = re.compile(f"\r(?!\n)|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff{_BIDI}]")
"""What `escape` replaces when lines are kept: newline, tab and a CRLF line end pass (an MTA-STS policy is
CRLF text); a carriage return alone (which would overwrite the start of its line) does not."""
_UNSAFE = re.compile(f"[\x00-\x1f\x7f-\x9f\ud800-\udfff{_BIDI}]")
_JSON_UNSAFE = re.compile(f"[\x7f-\x9f\ud800-\udfff{_BIDI}]")
_MARKDOWN_ACTIVE = re.compile(r"([\\`*_\[\]<>|~#!&])")
"""ASCII punctuation that starts emphasis, links, images, HTML, tables, headings or entities in GitHub/GitLab
Markdown; CommonMark lets a backslash make any of them literal."""


def _shown(char: str) -> str:
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:
        return f"\\x{code - 0xDC00:02x}"  # a byte that was not UTF-8 (surrogateescape)
    if code < 0x80:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}"


def escape(text: str, *, keep_lines: bool = True) -> str:
    """`text` with every control character escaped visibly (see the module's docstring). `keep_lines`: newline
    and tab pass (a whole message or report); else they are escaped too (`\\x0a`, `\\x09`), for one value
    inside a line, so that outside text cannot forge lines of a plan or a report. Idempotent."""
    pattern = _UNSAFE_IN_LINES if keep_lines else _UNSAFE
    return pattern.sub(lambda m: _shown(m.group()), text)


def for_terminal(text: str, *, color: bool) -> str:
    """What may reach stdout or stderr: `escape(text)`, keeping zonesync's own colour sequences (SGR) when
    `color`, dropping them otherwise. Renderers escape outside values before they colour a line, so an SGR
    sequence left here is zonesync's own; one that slipped through can only change colours."""
    if not color:
        return escape(SGR.sub("", text))
    parts = SGR.split(text)
    kept = SGR.findall(text)
    out = [escape(parts[0])]
    for sgr, part in zip(kept, parts[1:], strict=True):
        out += [sgr, escape(part)]
    return "".join(out)


def json_text(dumped: str) -> str:
    """`json.dumps(..., ensure_ascii=False)`'s output with the characters it leaves raw that a terminal or a
    UTF-8 reader chokes on (DEL, C1 controls, lone surrogates — bytes that were not UTF-8 — and bidi controls)
    written as JSON escapes (`\\u009b`, `\\udcff`): valid UTF-8, and `json.loads` gives the exact value back.
    Such characters only occur inside JSON strings, so the document stays valid."""
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", dumped)


def markdown_text(text: str) -> str:
    """Outside text for Markdown prose or a table cell: escaped, on one line, its Markdown and HTML made
    literal (a backslash before each active character), so it cannot add links, images, HTML or table
    columns to a pull-request comment."""
    return _MARKDOWN_ACTIVE.sub(r"\\\1", escape(text, keep_lines=False))


def markdown_code(text: str, *, in_table: bool = False) -> str:
    """Outside text as a Markdown code span: escaped, on one line, delimited by more backticks than the
    longest run inside it (CommonMark), so it cannot close the span. `in_table`: `|` written `\\|`, which GFM
    reads as a literal pipe even in a code span."""
    body = escape(text, keep_lines=False)
    if in_table:
        body = body.replace("|", "\\|")
    longest = max((len(run) for run in re.findall("`+", body)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if body.startswith("`") or body.endswith("`") else ""
    return f"{fence}{pad}{body}{pad}{fence}"
