"""nginx serving the MTA-STS policy the way a user sets it up (the policy file from `zonesync mta-sts policy
--out-dir`, a location block, `keepalive_timeout 0`, a certificate from a CA), in the three states people
get it in: right; the policy without `version: STSv1` (written by hand); and on the wrong path.
`zonesync verify --connect-to ... --ca-file ...` passes the first and names the fault in the others."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from servers import nginx
from world import MAIL_ZONE, REVERSE_V4, REVERSE_V6, World, world

POLICY_URL = "https://mta-sts.example.com/.well-known/mta-sts.txt"


@pytest.fixture
def site(tmp_path: Path, needs) -> Iterator[tuple[World, Path, Path, Path]]:
    """The applied zone, its policy written where nginx serves it from, and a certificate for
    mta-sts.example.com from a test CA: (world, web root, certificate chain, key)."""
    import trustme

    needs("nginx")
    with world(tmp_path / "project") as w:
        w.write(MAIL_ZONE)
        w.apply()
        w.add(REVERSE_V4, "PTR", "25.113.0.203.in-addr.arpa", "mx.example.com")
        w.add(REVERSE_V6, "PTR", "5.2.0.0." + "0." * 20 + "8.b.d.0.1.0.0.2.ip6.arpa", "mx.example.com")
        www = tmp_path / "www"
        done = w.run("mta-sts", "policy", "example.com", "--out-dir", www)
        assert done.returncode == 0, done.stderr
        ca = trustme.CA()
        ca.cert_pem.write_to_path(str(w.root / "ca.pem"))
        leaf = ca.issue_cert("mta-sts.example.com")
        cert, key = tmp_path / "tls" / "cert.pem", tmp_path / "tls" / "key.pem"
        cert.parent.mkdir()
        leaf.private_key_pem.write_to_path(str(key))
        cert.write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
        yield w, www / "example.com", cert, key


def verify_policy(w: World, port: int) -> tuple[int, list[dict]]:
    code, doc = w.verify(
        "--connect-to", f"mta-sts.example.com:443:127.0.0.1:{port}", "--ca-file", w.root / "ca.pem",
        nameserver=f"127.0.0.1:{w.dns_port}",
    )  # fmt: skip
    return code, [f for z in doc["zones"] for f in z["findings"] if f["topic"] == "mta-sts"]


LOCATION = """
    root {root};
    location = /.well-known/mta-sts.txt {{
        default_type text/plain;
    }}
"""


def test_policy_served_right_passes(site, tmp_path: Path) -> None:
    w, root, cert, key = site
    with nginx(tmp_path / "nginx", LOCATION.format(root=root), cert, key) as port:
        code, found = verify_policy(w, port)
    assert code == 0, found
    fetched = [f for f in found if f["subject"] == POLICY_URL]
    assert fetched and all(f["status"] == "pass" for f in fetched), found


def test_policy_without_version_is_named(site, tmp_path: Path) -> None:
    """The seed's own mistake: a policy written by hand, without its first line."""
    w, root, cert, key = site
    policy = root / ".well-known" / "mta-sts.txt"
    lines = policy.read_text().splitlines(keepends=True)
    assert lines[0].startswith("version: STSv1")
    policy.write_text("".join(lines[1:]))
    with nginx(tmp_path / "nginx", LOCATION.format(root=root), cert, key) as port:
        code, found = verify_policy(w, port)
    assert code == 5, found
    failed = [f["message"] for f in found if f["status"] == "fail"]
    assert any("version: STSv1" in m for m in failed), found


def test_policy_on_the_wrong_path_is_named(site, tmp_path: Path) -> None:
    """The file served at /mta-sts.txt (no .well-known): the policy URL answers 404."""
    w, root, cert, key = site
    block = f"""
        location = /mta-sts.txt {{
            default_type text/plain;
            alias {root}/.well-known/mta-sts.txt;
        }}
    """
    with nginx(tmp_path / "nginx", block, cert, key) as port:
        code, found = verify_policy(w, port)
    assert code == 5, found
    failed = [f["message"] for f in found if f["status"] == "fail"]
    assert any("404" in m for m in failed), found
