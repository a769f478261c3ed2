"""Debian's servers, each run in the foreground from a configuration written into a temporary folder, on
loopback and free ports (how each one runs here: /work/shared/real-servers.md, docs/interop.md)."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import tempfile
import textwrap
from collections.abc import Iterator, Mapping
from pathlib import Path

from harness import Process, banner, dns_answers, free_port, started, tcp_open, tool


def _program(name: str) -> str:
    path = tool(name)
    assert path is not None, f"{name} is not installed"
    return path


# -- Knot DNS (authoritative) -------------------------------------------------------------------------------
@contextlib.contextmanager
def knot(folder: Path, zones: Mapping[str, str]) -> Iterator[int]:
    """knotd serving `zones` (name -> zone file text) on 127.0.0.1; yields its port (UDP and TCP)."""
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    for name, text in zones.items():
        (folder / f"{name}.zone").write_text(text)
    zone_list = "".join(f"  - domain: {name}\n    file: {folder}/{name}.zone\n" for name in zones)
    conf = folder / "knot.conf"
    conf.write_text(
        textwrap.dedent(f"""\
        server:
            rundir: {folder}
            listen: 127.0.0.1@{port}
        log:
          - target: stderr
            any: info
        database:
            storage: {folder}/db
        template:
          - id: default
            storage: {folder}
            zonefile-sync: -1
            zonefile-load: difference-no-serial
            journal-content: all
        zone:
        """)
        + zone_list
    )
    check = subprocess.run(
        [_program("knotc"), "-c", conf, "conf-check"], capture_output=True, text=True, check=False
    )
    assert check.returncode == 0, check.stdout + check.stderr
    first = next(iter(zones))
    with started(
        "knotd", [_program("knotd"), "-c", conf], folder / "knotd.log", lambda: dns_answers(port, first)
    ):
        yield port


# -- unbound (resolver) -------------------------------------------------------------------------------------
@contextlib.contextmanager
def unbound(folder: Path, stub_zones: Mapping[str, int]) -> Iterator[int]:
    """unbound as a recursive resolver whose only sources are the stub zones (zone -> port of the
    authoritative server on 127.0.0.1); no DNSSEC validation (Cloudflare's zones here are unsigned)."""
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    stubs = "".join(
        f'stub-zone:\n    name: "{zone}"\n    stub-addr: 127.0.0.1@{p}\n' for zone, p in stub_zones.items()
    )
    # names under reserved trees unbound otherwise answers itself (RFC 6761/6303 local zones)
    local = "".join(f'    local-zone: "{zone}." nodefault\n' for zone in stub_zones)
    conf = folder / "unbound.conf"
    conf.write_text(
        textwrap.dedent(f"""\
        server:
            interface: 127.0.0.1
            port: {port}
            do-daemonize: no
            username: ""
            chroot: ""
            directory: "{folder}"
            pidfile: "{folder}/unbound.pid"
            logfile: ""
            use-syslog: no
            verbosity: 1
            do-not-query-localhost: no
            module-config: "iterator"
            access-control: 127.0.0.0/8 allow
            qname-minimisation: no
        """)
        + local
        + "remote-control:\n    control-enable: no\n"
        + stubs
    )
    check = subprocess.run([_program("unbound-checkconf"), conf], capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stdout + check.stderr
    first = next(iter(stub_zones))
    with started("unbound", [_program("unbound"), "-d", "-c", conf], folder / "unbound.log",
                 lambda: dns_answers(port, first)):  # fmt: skip
        yield port


# -- nginx (the MTA-STS policy host) ------------------------------------------------------------------------
@contextlib.contextmanager
def nginx(folder: Path, server_block: str, cert: Path, key: Path) -> Iterator[int]:
    """nginx with one TLS server (`server_block`: the lines inside `server { }` after listen/ssl), as a user
    writes it; yields the HTTPS port."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "logs").mkdir(exist_ok=True)
    port = free_port()
    conf = folder / "nginx.conf"
    body = textwrap.indent(textwrap.dedent(server_block).strip(), "        ")
    conf.write_text(
        f"""daemon off;
user root;  # the test's files are in a folder only root can read
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/logs/error.log info;
events {{ worker_connections 64; }}
http {{
    access_log {folder}/logs/access.log;
    client_body_temp_path {folder}/client_body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    default_type application/octet-stream;
    keepalive_timeout 0;
    server {{
        listen 127.0.0.1:{port} ssl;
        server_name mta-sts.example.com;
        ssl_certificate {cert};
        ssl_certificate_key {key};
        ssl_protocols TLSv1.2 TLSv1.3;
{body}
    }}
}}
"""
    )
    nginx_bin = _program("nginx")
    test = subprocess.run(
        [nginx_bin, "-t", "-p", folder, "-c", conf], capture_output=True, text=True, check=False
    )
    assert test.returncode == 0, test.stderr
    with started(
        "nginx", [nginx_bin, "-p", folder, "-c", conf], folder / "nginx.out", lambda: tcp_open(port)
    ):
        yield port


# -- opendkim + postfix (a mail server that signs) ----------------------------------------------------------
@contextlib.contextmanager
def opendkim(folder: Path, domain: str, selector: str, key_file: Path) -> Iterator[int]:
    """opendkim signing mail from `domain` with `key_file` (selector `selector`); yields its milter port."""
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    conf = folder / "opendkim.conf"
    conf.write_text(
        textwrap.dedent(f"""\
        Syslog no
        LogWhy yes
        Mode s
        Socket inet:{port}@127.0.0.1
        Domain {domain}
        Selector {selector}
        KeyFile {key_file}
        RequireSafeKeys false
        Canonicalization relaxed/simple
        PidFile {folder}/opendkim.pid
        UserID root
        """)
    )
    with started("opendkim", [_program("opendkim"), "-f", "-x", conf], folder / "opendkim.log",
                 lambda: tcp_open(port)):  # fmt: skip
        yield port


@contextlib.contextmanager
def postfix(
    folder: Path,
    hostname: str,
    milter_port: int | None,
    relay_port: int,
    cert: Path,
    key: Path,
    main_cf: str = "",
    hosts: Path | None = None,
) -> Iterator[tuple[int, Process]]:
    """postfix with a private configuration: smtpd on 127.0.0.1 (STARTTLS offered with `cert`), mail passed
    to the opendkim milter and relayed to 127.0.0.1:`relay_port`; yields (smtpd port, process).

    `main_cf`: lines for main.cf as a user writes them; each replaces the test's own line for the same
    parameter (a relayhost, SASL, TLS settings). `hosts`: a file postfix sees as /etc/hosts (a private mount
    namespace, `unshare -m`: the host's file is left alone), for a relay host name that exists nowhere else."""
    # postfix's own processes (user postfix) must reach the queue: a folder of its own under /tmp, not the
    # test's (only root may enter pytest's); its log is copied to `folder` at the end
    folder.mkdir(parents=True, exist_ok=True)
    base = Path(tempfile.mkdtemp(prefix="zonesync-interop-postfix-"))
    base.chmod(0o755)
    try:
        with _postfix(base, hostname, milter_port, relay_port, cert, key, main_cf, hosts) as running:
            yield running
    finally:
        if (base / "maillog").exists():
            shutil.copy(base / "maillog", folder / "maillog")
        shutil.rmtree(base, ignore_errors=True)


@contextlib.contextmanager
def _postfix(
    folder: Path,
    hostname: str,
    milter_port: int | None,
    relay_port: int,
    cert: Path,
    key: Path,
    main_cf: str,
    hosts: Path | None,
) -> Iterator[tuple[int, Process]]:
    conf = folder / "conf"  # apart from the queue: postfix checks that its configuration is root's alone
    for sub in (conf, folder / "queue", folder / "data"):
        sub.mkdir(parents=True, exist_ok=True)
    shutil.chown(folder / "data", "postfix")
    port = free_port()
    master = Path("/etc/postfix/master.cf").read_text().splitlines()
    lines = []
    for line in master:
        fields = line.split()
        if fields and not line[0].isspace() and not line.startswith("#") and len(fields) >= 8:
            if fields[0] == "smtp" and fields[1] == "inet":
                fields[0] = f"127.0.0.1:{port}"
            fields[4] = "n"  # no chroot: the queue is in a temporary folder
            line = " ".join(fields)
        lines.append(line)
    (conf / "master.cf").write_text("\n".join(lines) + "\n")
    milters = (
        f"smtpd_milters = inet:127.0.0.1:{milter_port}\nnon_smtpd_milters = $smtpd_milters\n"
        if milter_port
        else ""
    )
    base_cf = (
        textwrap.dedent(f"""\
        compatibility_level = 3.6
        queue_directory = {folder}/queue
        data_directory = {folder}/data
        maillog_file = {folder}/maillog
        maillog_file_prefixes = /var, /dev, /tmp
        myhostname = {hostname}
        mydomain = example.com
        myorigin = example.com
        mydestination =
        inet_interfaces = 127.0.0.1
        inet_protocols = ipv4
        mynetworks = 127.0.0.0/8
        relayhost = [127.0.0.1]:{relay_port}
        smtp_tls_security_level = none
        smtpd_tls_security_level = may
        smtpd_tls_cert_file = {cert}
        smtpd_tls_key_file = {key}
        smtpd_relay_restrictions = permit_mynetworks, reject
        milter_default_action = tempfail
        alias_maps =
        alias_database =
        local_recipient_maps =
        """)
        + milters
    )
    (conf / "main.cf").write_text(_override(base_cf, main_cf))
    post = _program("postfix")
    check = subprocess.run(["script", "-qc", f"{post} -c {conf} check", "/dev/null"], capture_output=True,
                           text=True, check=False)  # fmt: skip
    assert check.returncode == 0 and not check.stdout.strip(), check.stdout
    argv: list[str | Path] = [post, "-c", conf, "start-fg"]
    if hosts is not None:
        argv = [_program("unshare"), "-m", "sh", "-c",
                f"mount --bind {hosts} /etc/hosts && exec {post} -c {conf} start-fg"]  # fmt: skip
    with started("postfix", argv, folder / "postfix.out", lambda: banner(port)) as proc:
        try:
            yield port, proc
        finally:
            subprocess.run([post, "-c", conf, "stop"], capture_output=True, check=False)


def _override(base: str, extra: str) -> str:
    """main.cf text `base` with each parameter set in `extra` replacing the same parameter's line."""
    names = {line.split("=", 1)[0].strip() for line in extra.splitlines() if "=" in line}
    kept = [line for line in base.splitlines() if line.split("=", 1)[0].strip() not in names]
    return "\n".join(kept + extra.splitlines()) + "\n"
