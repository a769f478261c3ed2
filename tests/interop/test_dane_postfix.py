"""DANE against a real sender: Postfix 3.7 with `smtp_tls_security_level = dane` delivering to an MX whose
TLSA record zonesync published, and deferring (the mail stays queued) when the MX presents a key no TLSA
record names; the `next` pin keeping mail flowing across a key change.

The chain, all on loopback: `zonesync apply` (the zone file says `dnssec: true`) -> the Cloudflare API
emulator, which signs the zone -> its authoritative DNS -> unbound on 127.0.0.1:53 validating with the zone's
DS as trust anchor -> Postfix, whose /etc/resolv.conf is a bind mount in a private mount namespace
(`unshare -m`; the host's file is never touched) -> aiosmtpd on 127.0.0.2:25 with a self-signed certificate
(DANE-EE needs no CA).

Needs root and Debian's postfix, unbound and util-linux's unshare; skips in one line without them, fails
instead when ZONESYNC_INTEROP=required. Install:
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    apt-get install -y --no-install-recommends postfix unbound
Self-contained: imports only zonesync, its emulator, dnspython, cryptography and aiosmtpd.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import dns.exception
import dns.flags
import dns.message
import dns.query
import dns.rdatatype
import dns.rrset
import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from zonesync.cli import cli
from zonesync.emulator.server import Emulator
from zonesync.mail.tlsa import file_spki, spki_pin

ZONE = "dane.test"
MX = f"mx.{ZONE}"
MX_ADDRESS = "127.0.0.2"  # not postfix's own address: its mail-loop check would refuse the MX
TOKEN = "interop-token"
TOOLS = ("postfix", "postconf", "postqueue", "unbound", "unshare")
WAIT = 60.0


def _need() -> None:
    """Skip (or, with ZONESYNC_INTEROP=required, fail) when this machine cannot run the test."""
    missing = [t for t in TOOLS if shutil.which(t) is None]
    why = None
    if os.geteuid() != 0:
        why = "needs root (postfix, a mount namespace, port 53 and 25)"
    elif missing:
        why = f"needs {', '.join(missing)} (apt-get install postfix unbound)"
    else:
        for port, address in ((53, "127.0.0.1"), (25, MX_ADDRESS)):
            with socket.socket() as s:
                if s.connect_ex((address, port)) == 0:
                    why = f"{address}:{port} is taken"
    if why is None:
        return
    if os.environ.get("ZONESYNC_INTEROP") == "required":
        pytest.fail(f"ZONESYNC_INTEROP=required: {why}")
    pytest.skip(why)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _until(what: str, check, timeout: float = WAIT):  # -> the first truthy result of check()
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def _run(*args: str | Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=60, check=check)


# -- the MX: aiosmtpd with a self-signed certificate ----------------------------------------------------


def _key_files(folder: Path, stem: str) -> tuple[Path, Path]:
    """A new P-256 key and a self-signed certificate for the MX -> (key file, certificate file)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, MX)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30)).sign(key, hashes.SHA256())
    )  # fmt: skip
    key_path, cert_path = folder / f"{stem}.key", folder / f"{stem}.pem"
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


class Inbox:
    def __init__(self) -> None:
        self.subjects: list[str] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        for line in envelope.content.decode("utf-8", "replace").splitlines():
            if line.lower().startswith("subject:"):
                self.subjects.append(line.split(":", 1)[1].strip())
        return "250 OK"


@contextlib.contextmanager
def mx_server(inbox: Inbox, key_path: Path, cert_path: Path) -> Iterator[None]:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert_path, key_path)
    controller = Controller(inbox, hostname=MX_ADDRESS, port=25, tls_context=ctx, require_starttls=True)
    controller.start()
    try:
        yield
    finally:
        controller.stop()


# -- DNS: the emulator's zone, signed by the emulator, validated by unbound ---------------------------


class Unbound:
    def __init__(self, folder: Path, dns_port: int, anchor: str) -> None:
        folder.mkdir()
        self.conf = folder / "unbound.conf"
        self.conf.write_text(
            f'server:\n  interface: 127.0.0.1\n  port: 53\n  do-daemonize: no\n  username: ""\n  chroot: ""\n'
            f'  directory: "{folder}"\n  logfile: ""\n  use-syslog: no\n  do-not-query-localhost: no\n'
            f'  module-config: "validator iterator"\n  trust-anchor: "{anchor}"\n'
            f'  local-zone: "test." nodefault\n'
            f"remote-control:\n  control-enable: no\n"
            f'stub-zone:\n  name: "{ZONE}"\n  stub-addr: 127.0.0.1@{dns_port}\n'
        )
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """(Re)start: a fresh cache, so a changed record is seen at once."""
        self.stop()
        self.proc = subprocess.Popen(
            ["unbound", "-d", "-c", str(self.conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        _until("unbound to answer with AD", lambda: self.validated(f"_25._tcp.{MX}", "TLSA"))

    def validated(self, name: str, rtype: str) -> dns.message.Message | None:
        query = dns.message.make_query(name, rtype, want_dnssec=True)
        try:
            answer = dns.query.udp(query, "127.0.0.1", port=53, timeout=2)
        except (OSError, dns.exception.Timeout):
            return None
        return answer if answer.flags & dns.flags.AD and answer.answer else None

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=30)
            self.proc = None


# -- Postfix: the DANE sender ---------------------------------------------------------------------------


class Postfix:
    def __init__(self) -> None:
        # its own folder under /tmp, 0755: the postfix user must reach the queue (pytest's folders are 0700)
        folder = Path(tempfile.mkdtemp(prefix="zonesync-dane-postfix-"))
        folder.chmod(0o755)
        self.dir = folder
        self.port = _free_port()
        for sub in ("queue", "data"):
            (folder / sub).mkdir()
        shutil.chown(folder / "data", "postfix")
        self.log = folder / "maillog"
        resolv = folder / "resolv.conf"
        resolv.write_text("nameserver 127.0.0.1\noptions trust-ad\n")
        self.resolv = resolv
        (folder / "main.cf").write_text(
            f"compatibility_level = 3.6\nqueue_directory = {folder / 'queue'}\n"
            f"data_directory = {folder / 'data'}\nmaillog_file = {self.log}\nmaillog_file_prefixes = {folder}\n"
            "myhostname = sender.test\nmydomain = sender.test\nmyorigin = sender.test\nmydestination =\n"
            "inet_interfaces = 127.0.0.1\ninet_protocols = ipv4\nmynetworks = 127.0.0.0/8\n"
            "smtpd_relay_restrictions = permit_mynetworks, reject\nalias_maps =\nalias_database =\n"
            "smtp_tls_security_level = dane\nsmtp_dns_support_level = dnssec\nsmtp_tls_loglevel = 1\n"
            "smtputf8_enable = no\nqueue_run_delay = 1s\nminimal_backoff_time = 1s\nmaximal_backoff_time = 2s\n"
        )
        lines = []
        for line in Path("/etc/postfix/master.cf").read_text().splitlines():
            fields = line.split()
            if line and not line[0].isspace() and not line.startswith("#") and len(fields) >= 8:
                if fields[0] == "smtp" and fields[1] == "inet":
                    fields[0] = f"127.0.0.1:{self.port}"
                fields[4] = "n"  # no chroot: the queue is a temporary folder
                line = " ".join(fields)
            lines.append(line)
        (folder / "master.cf").write_text("\n".join(lines) + "\n")
        self.proc: subprocess.Popen[bytes] | None = None

    def cmd(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return _run(*args[:1], "-c", self.dir, *args[1:], check=check)

    def start(self) -> None:
        checked = _run("script", "-qc", f"postfix -c {self.dir} check", "/dev/null", check=False)
        assert checked.returncode == 0, checked.stdout + checked.stderr
        self.proc = subprocess.Popen(
            ["unshare", "-m", "sh", "-c",
             f"mount --bind {self.resolv} /etc/resolv.conf && exec postfix -c {self.dir} start-fg"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        _until("postfix to accept mail", lambda: _listening("127.0.0.1", self.port))

    def send(self, subject: str) -> None:
        import smtplib

        with smtplib.SMTP("127.0.0.1", self.port, timeout=10) as client:
            client.sendmail("alice@sender.test", [f"bob@{ZONE}"], f"Subject: {subject}\r\n\r\nhello\r\n")

    def logged(self, text: str) -> int:
        return self.log.read_text(errors="replace").count(text) if self.log.exists() else 0

    def lines(self, text: str) -> list[str]:
        return [line for line in self.log.read_text(errors="replace").splitlines() if text in line]

    def queue(self) -> str:
        return self.cmd("postqueue", "-p").stdout

    def stop(self) -> None:
        if self.proc is not None:
            self.cmd("postfix", "stop", check=False)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def _listening(host: str, port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex((host, port)) == 0


# -- the test -------------------------------------------------------------------------------------------


def _zonesync(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def _pin(path: Path) -> str:
    return spki_pin(file_spki(path.read_bytes())[0])


def test_postfix_dane_delivers_defers_and_next_pin_prevents_the_outage(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _need()
    keys = tmp_path / "keys"
    keys.mkdir()
    key_a, key_b, key_c = (_key_files(keys, s) for s in ("a", "b", "c"))
    emu = Emulator(tokens=(TOKEN,), zones=(ZONE,), rate_limit=0, dns_port=0).start()
    unbound, postfix = None, Postfix()
    inbox = Inbox()
    (tmp_path / "zones").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", TOKEN)
    monkeypatch.setenv("CLOUDFLARE_BASE_URL", emu.url)
    zone_file = tmp_path / "zones" / f"{ZONE}.yaml"
    zone_file.write_text(
        f"zone: {ZONE}\ndnssec: true\nmail:\n  mx: [mx]\n  hosts:\n    mx: {{ipv4: [{MX_ADDRESS}]}}\n"
        f"  dane:\n    mx: {{file: {key_a[1]}}}  # the server's certificate\n"
    )
    try:
        # 1. key A pinned: `dane pin` reads the key the MX presents (port 25 at 127.0.0.2) into the file
        with mx_server(inbox, *key_a):
            _zonesync("dane", "pin", MX, "--connect-to", f"{MX}:25:{MX_ADDRESS}:25")
        assert f"current: {_pin(key_a[1])}" in zone_file.read_text()
        _zonesync("apply", "--yes")  # the TLSA record, and DNSSEC turned on
        assert emu.dns is not None
        unbound = Unbound(tmp_path / "unbound", emu.dns.port, emu.dnssec_ds(ZONE))
        unbound.start()
        tlsa = unbound.validated(f"_25._tcp.{MX}", "TLSA")
        assert tlsa is not None and f"3 1 1 {_pin(key_a[1])}" in tlsa.answer[0].to_text()
        postfix.start()

        with mx_server(inbox, *key_a):
            postfix.send("one")
            _until("mail one delivered", lambda: "one" in inbox.subjects)
        assert postfix.logged(f"Verified TLS connection established to {MX}[{MX_ADDRESS}]:25") == 1

        # 2. the next key's pin published before the switch: mail flows on both sides of the key change
        _zonesync("dane", "pin", MX, "--next", str(key_b[1]))
        _zonesync("apply", "--yes")
        unbound.start()
        _until(
            f"unbound to validate 2 TLSA records at _25._tcp.{MX}",
            lambda: (
                (answer := unbound.validated(f"_25._tcp.{MX}", "TLSA")) is not None
                and len(answer.answer[0]) == 2
            ),
        )
        postfix.cmd("postfix", "reload")  # a running smtp process caches TLSA answers
        with mx_server(inbox, *key_a):
            postfix.send("two")
            _until("mail two delivered", lambda: "two" in inbox.subjects)
        with mx_server(inbox, *key_b):  # the renewal: the server now uses key B
            postfix.send("three")
            _until("mail three delivered", lambda: "three" in inbox.subjects)
        assert postfix.logged(f"Verified TLS connection established to {MX}[{MX_ADDRESS}]:25") == 3

        # 3. a key change nobody pinned: Postfix holds the mail and says why
        with mx_server(inbox, *key_c):
            postfix.send("four")
            _until("the deferral", lambda: postfix.logged("no matching DANE TLSA records"))
            _until("the deferral", lambda: postfix.logged("status=deferred"))
        assert "four" not in inbox.subjects
        queued = postfix.queue()  # the mail stays queued, the reason beside it
        assert f"bob@{ZONE}" in queued and "(Server certificate not verified)" in queued, queued
        (why,) = postfix.lines("no matching DANE TLSA records")
        assert f"{MX}[{MX_ADDRESS}]:25" in why, why
        (deferred,) = postfix.lines("status=deferred")
        assert f"to=<bob@{ZONE}>" in deferred and "(Server certificate not verified)" in deferred, deferred
        # and zonesync's plan refuses to go on with a key in the file that no pin names
        zone_file.write_text(zone_file.read_text().replace(str(key_a[1]), str(key_c[1])))
        refused = CliRunner().invoke(cli, ["plan"], catch_exceptions=False)
        assert refused.exit_code != 0 and "matches no recorded pin" in refused.output
    finally:
        postfix.stop()
        if unbound is not None:
            unbound.stop()
        emu.stop()
