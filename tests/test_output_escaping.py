"""Nothing from outside reaches a terminal raw: terminal control sequences and bytes that are not UTF-8, sent
through live TXT content (the API), DNS answers (the emulator's DNS server serves the same records), an
MTA-STS policy server and an API error, come out of every format of plan, apply and verify, and of the error
path, with no control character but newline and tab — shown escaped, never dropped — and JSON stays valid
UTF-8. The real CLI runs in a child process, so the bytes checked are the bytes a terminal would get."""

from __future__ import annotations

import json
import ssl
import subprocess
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme
from clirun import process
from raw_tls import RawAnswer, http_answer, raw_tls_server
from verify_env import MAIL_ZONE, World, world_fixture  # noqa: F401

from zonesync.base.escape import escape, json_text, markdown_code, markdown_text

PAYLOADS = {
    "OSC 52 (clipboard)": "\x1b]52;c;aGVsbG8=\x07",
    "OSC 0 (title)": "\x1b]0;pwned\x1b\\",
    "CSI clear screen": "\x1b[2J\x1b[H",
    "8-bit CSI": "\u009b2J",
    "SGR conceal": "\x1b[8m",
}
SHOWN = {
    "OSC 52 (clipboard)": r"\x1b]52;c;aGVsbG8=\x07",
    "OSC 0 (title)": r"\x1b]0;pwned\x1b\\",
    "CSI clear screen": r"\x1b[2J\x1b[H",
    "8-bit CSI": r"\u009b2J",
    "SGR conceal": r"\x1b[8m",
}
"""How each payload must appear: escaped, visibly."""
NOT_UTF8 = r"\xff"
"""Byte 0xFF (a TXT served over DNS, `\\255` in the API's quoted content) as text output shows it."""


def control_characters(data: bytes, where: str) -> list[str]:
    """The control characters (other than newline and tab) in `data`, which must be valid UTF-8."""
    text = data.decode("utf-8")  # raises on invalid UTF-8: that is a failure too
    bad = [c for c in text if (ord(c) < 0x20 and c not in "\n\t") or 0x7F <= ord(c) <= 0x9F]
    return [f"{where}: {c!r}" for c in dict.fromkeys(bad)]


def strings_of(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings_of(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings_of(item)


def cli(world: World, *args: str) -> subprocess.CompletedProcess[bytes]:
    return process(*args, cwd=world.root)


def policy_body() -> bytes:
    lines = ["version: STSv1", "mode: enforce", "mx: mx.example.com", "max_age: 604800"]
    lines += [f"x-{i}: a{p}b" for i, p in enumerate(PAYLOADS.values())]
    return "\r\n".join([*lines, ""]).encode()


@pytest.fixture(name="hostile")
def hostile_fixture(world: World, tmp_path: Path) -> Iterator[tuple[World, list[str]]]:
    """The mail zone, with TXT records t0..t5 declared "ok" in the file and live (so also in DNS) holding a
    payload each (t5: byte 0xFF); the MTA-STS policy host serving a policy with every payload in it. Yields
    the world and the verify flags that reach the policy host."""
    names = "".join(f'  t{i}: {{type: TXT, value: "ok"}}\n' for i in range(len(PAYLOADS) + 1))
    world.write(MAIL_ZONE.replace("records:\n", "records:\n" + names))
    for i, payload in enumerate(PAYLOADS.values()):
        world.add("example.com", "TXT", f"t{i}.example.com", f"a{payload}b")
    world.add("example.com", "TXT", f"t{len(PAYLOADS)}.example.com", '"a\\255b"')
    world.add("example.com", "A", "mta-sts", "127.0.0.1")
    ca = trustme.CA()
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("mta-sts.example.com").configure_cert(ctx)
    answer = http_answer(
        b"HTTP/1.1 200 OK",
        {"Content-Type": "text/plain", "Content-Length": str(len(policy_body()))},
        policy_body(),
    )
    with raw_tls_server(ctx, RawAnswer(answer)) as port:
        flags = ["--connect-to", f"mta-sts.example.com:443:127.0.0.1:{port}", "--ca-file", str(ca_file)]
        yield world, flags


def _verify(world: World, flags: list[str], *args: str) -> list[str]:
    return ["verify", "--nameserver", world.nameserver, "--timeout", "2", *flags, *args]


RUNS = {
    "plan text": lambda w, f: ["plan"],
    "plan markdown": lambda w, f: ["plan", "--format", "markdown"],
    "plan json": lambda w, f: ["plan", "--format", "json"],
    "apply": lambda w, f: ["apply", "--yes"],
    "verify text": lambda w, f: _verify(w, f),
    "verify -v": lambda w, f: _verify(w, f, "-v"),
    "verify json": lambda w, f: _verify(w, f, "--format", "json"),
    "verify markdown": lambda w, f: _verify(w, f, "--format", "markdown"),
}


@pytest.mark.parametrize("run", list(RUNS))
def test_no_control_character_reaches_the_terminal(hostile: tuple[World, list[str]], run: str) -> None:
    world, flags = hostile
    proc = cli(world, *RUNS[run](world, flags))
    assert proc.returncode in (0, 2, 5), proc.stderr.decode(errors="replace")
    assert b"internal error" not in proc.stderr and b"Traceback" not in proc.stderr, proc.stderr
    assert control_characters(proc.stdout, "stdout") + control_characters(proc.stderr, "stderr") == []
    out = proc.stdout.decode()
    if run.endswith("json"):
        strings = "\n".join(strings_of(json.loads(out)))  # valid JSON, and the exact values are in it
        for payload in PAYLOADS.values():
            assert f"a{payload}b" in strings
        assert "a\udcffb" in strings  # byte 0xFF as `\udcff`: json.loads gives back the same value
        return
    in_cells = run == "verify markdown"  # table cells; the plan's changes are in a fenced block
    shown = {k: markdown_text(v) for k, v in SHOWN.items()} if in_cells else SHOWN
    for name, escaped in shown.items():  # shown, escaped, never silently dropped
        assert escaped in out, f"{name} not shown as {escaped}"
    assert (markdown_text(NOT_UTF8) if in_cells else NOT_UTF8) in out
    if run == "verify -v":
        assert "|   x-0: a" + SHOWN["OSC 52 (clipboard)"] + "b" in out, out  # the policy as fetched, escaped


def test_an_api_error_quoting_control_sequences_is_escaped(world: World) -> None:
    """The error path: an API error message (outside text) holding every payload, printed as `Error: ...`."""
    world.write(MAIL_ZONE)
    world.emu.inject_fault(status=400, code=1004, message="bad " + "".join(PAYLOADS.values()) + "\udcff")
    proc = cli(world, "plan")
    assert proc.returncode == 1
    assert control_characters(proc.stdout, "stdout") + control_characters(proc.stderr, "stderr") == []
    assert proc.stderr.decode().startswith("Error: ")
    assert SHOWN["OSC 52 (clipboard)"] in proc.stderr.decode()


def test_a_zone_file_error_quoting_control_sequences_is_escaped(world: World) -> None:
    """A pull request can add a zone file: a name holding escape sequences is refused in an escaped message."""
    world.write(
        textwrap.dedent(
            """
            zone: example.com
            records:
              "a\\e]52;c;aGVsbG8=\\a\\x9b2J": {type: A, value: 192.0.2.1}
            """
        )
    )
    proc = cli(world, "validate")
    assert proc.returncode == 1, proc.stdout
    assert control_characters(proc.stdout, "stdout") + control_characters(proc.stderr, "stderr") == []
    assert r"\x1b]52;c;aGVsbG8=\x07\u009b2J" in proc.stderr.decode()


def test_a_status_line_holding_control_bytes_is_escaped(world: World, ca: trustme.CA, ca_file: Path) -> None:
    """The policy host answers `HTTP/1.1 500 <OSC 0><0x9b>`: verify's finding quotes the reason, escaped."""
    world.write(MAIL_ZONE)
    world.apply()
    world.add("example.com", "A", "mta-sts", "127.0.0.1")
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("mta-sts.example.com").configure_cert(ctx)
    answer = http_answer(b"HTTP/1.1 500 \x1b]0;pwned\x07\x9b2J", {"Content-Length": "0"}, b"")
    with raw_tls_server(ctx, RawAnswer(answer)) as port:
        flags = ["--connect-to", f"mta-sts.example.com:443:127.0.0.1:{port}", "--ca-file", str(ca_file)]
        for fmt in ("text", "markdown", "json"):
            proc = cli(world, *_verify(world, flags, "--format", fmt))
            assert proc.returncode == 5, proc.stderr
            assert control_characters(proc.stdout, "stdout") + control_characters(proc.stderr, "stderr") == []
            if fmt == "text":
                assert r"answers HTTP 500 \x1b]0;pwned\x07\u009b2J, not 200" in proc.stdout.decode()


# -- the escaping function itself -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("\x1b]52;c;aGk=\x07", r"\x1b]52;c;aGk=\x07"),
        ("\u009b2J", r"\u009b2J"),
        ("a\udcffb", r"a\xffb"),
        ("\x7f", r"\x7f"),
        ("a\rb", r"a\x0db"),
        ("line\r\nnext\n\tindented", "line\r\nnext\n\tindented"),
        ("\u202egnp.exe", r"\u202egnp.exe"),
        ("plain é 日本 \\x1b", "plain é 日本 \\x1b"),
    ],
)
def test_escape(raw: str, shown: str) -> None:
    assert escape(raw) == shown
    assert escape(escape(raw)) == escape(raw)  # idempotent: a renderer and the boundary may both apply it


def test_escape_of_one_value_escapes_line_breaks() -> None:
    assert escape("a\nb\tc", keep_lines=False) == r"a\x0ab\x09c"


def test_json_text_is_valid_utf8_and_exact() -> None:
    value = {"v": "\x1b\u009b\x7f\udcff\u202e é"}
    dumped = json_text(json.dumps(value, ensure_ascii=False))
    dumped.encode("utf-8")  # no lone surrogate left
    assert control_characters(dumped.encode(), "json") == []
    assert json.loads(dumped) == value


def test_markdown_cannot_break_out() -> None:
    assert markdown_code("a``b|c", in_table=True) == "```a``b\\|c```"
    assert markdown_code("`x`") == "`` `x` ``"
    text = markdown_text("<img src=x> [click](https://evil) ![i](https://t) | *b* \x1b")
    assert text == r"\<img src=x\> \[click\](https://evil) \!\[i\](https://t) \| \*b\* \\x1b"


def test_colour_is_kept_only_as_zonesync_own(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """On a terminal (click's runner with colour), zonesync's colours stay and an outside SGR is shown escaped:
    the renderer escapes values before it colours a line."""
    from clirun import run

    monkeypatch.delenv("NO_COLOR")
    world.write("zone: example.com\nrecords:\n  t: {type: TXT, value: ok}\n")
    world.add("example.com", "TXT", "t.example.com", "a\x1b[8mhidden")
    out = run("plan", color=True).output
    assert "\x1b[33m" in out  # the update's own colour
    assert r"a\x1b[8mhidden" in out and "\x1b[8m" not in out
