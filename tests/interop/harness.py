"""The interop layer's plumbing: the installed `zonesync` command, free loopback ports, and real servers run
as child processes (started from a temporary configuration, polled until they answer, stopped by PID)."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

ZONESYNC = Path(sys.executable).parent / "zonesync"
"""The console script pip installed beside this interpreter: what a user runs."""
READY_SECONDS = 20.0
POLL_SECONDS = 0.05


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    """A loopback port free for TCP and UDP right now."""
    while True:
        with socket.socket(socket.AF_INET, kind) as first:
            first.bind(("127.0.0.1", 0))
            port = first.getsockname()[1]
            other = socket.SOCK_DGRAM if kind == socket.SOCK_STREAM else socket.SOCK_STREAM
            with socket.socket(socket.AF_INET, other) as second:
                try:
                    second.bind(("127.0.0.1", port))
                except OSError:
                    continue
            return port


def zonesync(
    *args: str | Path, env: Mapping[str, str] | None = None, cwd: Path | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """`zonesync ARGS...` as a user runs it (the installed command), output captured."""
    return subprocess.run(
        [str(ZONESYNC), *map(str, args)],
        env={**os.environ, "NO_COLOR": "1", **(env or {})},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@dataclass
class Process:
    """A server started by a test: its Popen and the file its output goes to."""

    name: str
    proc: subprocess.Popen[bytes]
    log: Path

    def tail(self, lines: int = 30) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def wait_until(self, ready: Callable[[], bool], seconds: float = READY_SECONDS) -> None:
        """Poll `ready` until it holds; fail with the server's own output if it exits or never gets ready.
        Between tries the wait is on the process itself, so an early exit is seen at once."""
        deadline = time.monotonic() + seconds
        while True:
            with contextlib.suppress(OSError):
                if ready():
                    return
            try:
                code = self.proc.wait(timeout=POLL_SECONDS)
            except subprocess.TimeoutExpired:
                code = None
            if code is not None:
                raise AssertionError(f"{self.name} exited with {code}:\n{self.tail()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.name} not ready after {seconds} s:\n{self.tail()}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@contextlib.contextmanager
def started(
    name: str,
    argv: Sequence[str | Path],
    log: Path,
    ready: Callable[[], bool],
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Iterator[Process]:
    """Run `argv` in the foreground as a child, yield it once `ready()` holds, stop it by PID afterwards."""
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [str(a) for a in argv],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **(env or {})},
            cwd=cwd,
        )
    process = Process(name, proc, log)
    try:
        process.wait_until(ready)
        yield process
    finally:
        process.stop()


def tcp_open(port: int, host: str = "127.0.0.1") -> bool:
    """A TCP connection to host:port is accepted."""
    with socket.create_connection((host, port), timeout=1):
        return True


def banner(port: int) -> bool:
    """The SMTP server on port sends its 220 greeting."""
    with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
        return sock.recv(512).startswith(b"220")


def dns_answers(port: int, name: str, rdtype: str = "SOA") -> bool:
    """The DNS server on 127.0.0.1:port answers `name` `rdtype` with NOERROR and data."""
    import dns.exception
    import dns.message
    import dns.query
    import dns.rcode

    try:
        reply = dns.query.udp(dns.message.make_query(name, rdtype), "127.0.0.1", port=port, timeout=0.5)
    except dns.exception.Timeout:
        return False
    return reply.rcode() == dns.rcode.NOERROR and bool(reply.answer)


def tool(name: str) -> str | None:
    """The full path of a program, looked up in the sbin folders too (root's PATH may lack them)."""
    path = os.environ.get("PATH", "") + ":/usr/sbin:/sbin:/usr/local/sbin"
    return shutil.which(name, path=path)
