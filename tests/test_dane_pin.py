"""`zonesync dane pin`: the key a real STARTTLS server (aiosmtpd) presents, pinned into the zone file with
every other line and comment kept; the `next` pin from a key file; the switch to it."""

from __future__ import annotations

from clirun import run
from dane_keys import dane_server, key_pem, new_key, pin_of, write_pair
from netservers import closed_port

from zonesync.mail import mail_records
from zonesync.zonefile.load import load_zone_file

ZONE = """\
# example.com: the mail domain
zone: example.com
records:
  "@": {type: A, value: 203.0.113.10}   # the web server

mail:
  mx:
    - host: mx     # our only MX
  hosts:
    mx: {ipv4: [203.0.113.25]}
"""


def write(workdir, text=ZONE):
    path = workdir / "zones" / "example.com.yaml"
    path.write_text(text)
    return path


def pin(*args, port=None):
    route = ("--connect-to", f"mx.example.com:25:127.0.0.1:{port}") if port else ()
    return run("dane", "pin", "mx.example.com", *route, *args)


def tlsa_values(path):
    res = mail_records(load_zone_file(path), None, generate_keys=False)
    return [r.value for r in res.records if r.type == "TLSA"]


def test_pin_fetches_the_key_and_keeps_every_line(workdir, tmp_path):
    path = write(workdir)
    key = new_key()
    with dane_server(tmp_path, key) as port:
        result = pin(port=port)
    assert result.exit_code == 0, result.output
    assert f"recorded the current pin {pin_of(key)}" in result.output
    text = path.read_text()
    assert text.startswith(ZONE)  # every line and comment as it was, the pin added after them
    assert text[len(ZONE) :] == f"  dane:\n    mx:\n      current: {pin_of(key)}\n"
    assert tlsa_values(path) == [f"3 1 1 {pin_of(key)}"]


def test_same_key_again_changes_nothing(workdir, tmp_path):
    path = write(workdir)
    key = new_key()
    with dane_server(tmp_path, key) as port:
        assert pin(port=port).exit_code == 0
        before = path.read_bytes()
        again = pin(port=port)
    assert again.exit_code == 0 and "nothing to change" in again.output
    assert path.read_bytes() == before


def test_next_pin_then_switch(workdir, tmp_path):
    """The renewal workflow: current from the wire, next from the new key's file, then the server switches."""
    path = write(workdir)
    old, new = new_key(), new_key("rsa")
    with dane_server(tmp_path / "a", old) as port:
        assert pin(port=port).exit_code == 0
    next_key = workdir / "next.key"
    next_key.write_bytes(key_pem(new))
    added = run("dane", "pin", "mx.example.com", "--next", str(next_key))
    assert added.exit_code == 0, added.output
    assert tlsa_values(path) == [f"3 1 1 {pin_of(old)}", f"3 1 1 {pin_of(new)}"]
    with dane_server(tmp_path / "b", new) as port:
        switched = pin(port=port)
    assert switched.exit_code == 0 and "uses the next key now" in switched.output
    assert tlsa_values(path) == [f"3 1 1 {pin_of(new)}"]
    assert path.read_text().startswith(ZONE)


def test_port_option_and_existing_relative_key(workdir, tmp_path):
    path = write(workdir, ZONE + "  dane:\n    mx: {current: " + "a" * 64 + "}  # old key\n")
    key = new_key()
    with dane_server(tmp_path, key) as port:
        result = run(
            "dane", "pin", "mx.example.com", "--port", "2525",
            "--connect-to", f"mx.example.com:2525:127.0.0.1:{port}",
        )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "no recorded pin names" in result.output
    assert tlsa_values(path) == [f"3 1 1 {pin_of(key)}"]
    assert path.read_text().startswith(ZONE)


def test_no_starttls_is_one_line_and_leaves_the_file(workdir, tmp_path):
    path = write(workdir)
    with dane_server(tmp_path, None, starttls=False) as port:
        result = pin(port=port)
    assert result.exit_code != 0
    assert "cannot read the key of mx.example.com: mx.example.com does not offer STARTTLS" in result.output
    assert path.read_text() == ZONE


def test_refused_connection(workdir):
    path = write(workdir)
    result = pin(port=closed_port())
    assert result.exit_code != 0 and "refused" in result.output and "Traceback" not in result.output
    assert path.read_text() == ZONE


def test_host_in_no_zone_file(workdir):
    write(workdir)
    result = run("dane", "pin", "mx.example.net")
    assert result.exit_code != 0 and "no zone file in zones/ holds mx.example.net" in result.output


def test_next_needs_a_current_pin(workdir):
    write(workdir)
    _k, cert, _key = write_pair(workdir / "tls", "mx.example.com")
    result = run("dane", "pin", "mx.example.com", "--next", str(cert))
    assert result.exit_code != 0 and "no current pin is recorded yet" in result.output


def test_block_entry_edited_in_place_comments_and_file_kept(workdir, tmp_path):
    """The zone-file editor (`zonefile.edit`) changes only the pin lines: the comment after `current`, the
    `file:` line and everything around stay as written."""
    old, new = new_key(), new_key()
    cert = workdir / "tls" / "mx.pem"
    entry = (
        "  dane:\n    mx:\n"
        f"      current: {pin_of(old)}   # since spring\n"
        f"      next: {pin_of(new)}\n"
        f"      file: {cert}   # certbot's\n"
        "# end of file\n"
    )
    path = write(workdir, ZONE + entry)
    with dane_server(tmp_path, new) as port:
        result = pin(port=port)
    assert result.exit_code == 0, result.output
    assert path.read_text() == ZONE + (
        "  dane:\n    mx:\n"
        f"      current: {pin_of(new)}   # since spring\n"
        f"      file: {cert}   # certbot's\n"
        "# end of file\n"
    )
