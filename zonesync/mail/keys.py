"""DKIM key files: find the public key for each selector, and generate a pair when there is none.

The only module of `zonesync.mail` that touches the disk. Order of sources for a selector's public key
(first found wins): the private key file, `<key>.pub` beside it, maddy's `<key without .key>.dns`
beside it (what maddy writes next to a key it generated: internal/modify/dkim/keys.go, writeDNSRecord),
the record already published. A new pair is generated only when none exists and the caller allows it
(`apply`), and an existing file is never overwritten: the final name is created with a hard link, which
fails if the name exists.

Private keys are written as PKCS#8 PEM ("PRIVATE KEY"), the format maddy generates and reads
(keys.go: `x509.MarshalPKCS8PrivateKey`, `x509.ParsePKCS8PrivateKey`; docs/reference/modifiers/dkim.md,
key_path: "It should be in PKCS#8 format wrapped in PEM encoding"), mode 0600 as maddy does.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from zonesync.lazyimport import lazy

if TYPE_CHECKING:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
else:  # cryptography (about 15 ms) only when a DKIM key is read or made
    serialization = lazy("cryptography.hazmat.primitives.serialization")
    ed25519 = lazy("cryptography.hazmat.primitives.asymmetric.ed25519")
    rsa = lazy("cryptography.hazmat.primitives.asymmetric.rsa")

from zonesync.mail import dkim
from zonesync.mail.result import GeneratedKey
from zonesync.mail.spec import DkimSpec
from zonesync.model import Diagnostic, Record

PRIVATE_MODE = 0o600
PUBLIC_MODE = 0o644


@dataclass(frozen=True)
class KeyState:
    """What is known about one selector's key after looking at files and the live zone."""

    spec: DkimSpec
    value: str  # the TXT value to publish (placeholder when pending)
    pending: bool
    origin: str  # where the public key came from, in words
    key: dkim.PublicKey | None
    diagnostics: tuple[Diagnostic, ...] = ()
    generated: GeneratedKey | None = None

    @property
    def private_key(self) -> Path:
        return self.spec.private_key


def pub_path(private: Path) -> Path:
    return private.with_name(private.name + ".pub")


def maddy_dns_path(private: Path) -> Path:
    """maddy's record file: `x.key` -> `x.dns`, anything else -> `<name>.dns` (keys.go)."""
    return (
        private.with_suffix(".dns") if private.suffix == ".key" else private.with_name(private.name + ".dns")
    )


def generate_private_key(algorithm: str) -> dkim.PrivateKey:
    """A new key pair as maddy's `newkey_algo` names them (rsa2048, rsa4096, ed25519)."""
    if algorithm == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    bits = {"rsa2048": 2048, "rsa4096": 4096}[algorithm]
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def private_pem(key: dkim.PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def public_pem(key: dkim.PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def write_new_file(path: Path, data: bytes, mode: int) -> None:
    """Write `path` atomically with `mode` from creation, creating parent folders; never overwrite.

    Raises FileExistsError if `path` exists (even if it appeared while writing).
    """
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        try:
            os.fchmod(fd, mode)  # the umask must not widen or narrow it
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(tmp, path)  # atomic and refuses an existing name
        except FileExistsError:
            raise
        except OSError:  # a filesystem without hard links
            if path.exists():
                raise FileExistsError(str(path)) from None
            os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    with contextlib.suppress(OSError):
        dfd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)


def generate_key_pair(spec: DkimSpec) -> tuple[dkim.PublicKey, GeneratedKey]:
    """Generate and write `<key>` (0600) and `<key>.pub`; refuses if the private key file exists."""
    private = generate_private_key(spec.algorithm)
    folder = spec.private_key.parent
    new_folder = not folder.exists()
    write_new_file(spec.private_key, private_pem(private), PRIVATE_MODE)
    if new_folder:  # a folder zonesync made: keep the secrets out of git, let the .pub files in
        with contextlib.suppress(OSError):
            patterns = {"*.key", spec.private_key.name}
            write_new_file(
                folder / ".gitignore",
                ("# DKIM private keys: never commit them (the .pub files are safe to commit)\n"
                 + "".join(f"{p}\n" for p in sorted(patterns))).encode(),
                PUBLIC_MODE,
            )  # fmt: skip
    pub = pub_path(spec.private_key)
    if not pub.exists():
        write_new_file(pub, public_pem(private.public_key()), PUBLIC_MODE)
    return private.public_key(), GeneratedKey(spec.selector, spec.algorithm, spec.private_key, pub)


class KeyFileError(Exception):
    """A key file that exists but cannot be used; the message says why and what to do."""


def read_private_key(path: Path) -> dkim.PrivateKey:
    try:
        data = path.read_bytes()
    except PermissionError:
        raise PermissionError(str(path)) from None
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except TypeError:
        raise KeyFileError(
            "it is encrypted with a passphrase, which maddy cannot read: export it unencrypted "
            "(`openssl pkcs8 -topk8 -nocrypt`)"
        ) from None
    except (ValueError, dkim.DkimParseError) as exc:
        raise KeyFileError(
            f'it is not a PEM private key ({exc}); maddy reads PKCS#8 ("PRIVATE KEY") or PKCS#1 '
            '("RSA PRIVATE KEY") PEM'
        ) from None
    if not isinstance(key, rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey):
        raise KeyFileError(
            f"it holds a {type(key).__name__.lstrip('_')}, but DKIM keys for maddy are RSA or Ed25519 "
            "(maddy refuses ECDSA)"
        )
    return key


def live_dkim(live: Sequence[Record] | None, name: str) -> Record | None:
    if not live:
        return None
    for rec in live:
        if rec.name == name and rec.type == "TXT" and dkim.is_dkim_text(rec.value):
            return rec
    return None


def resolve(spec: DkimSpec, zone: str, live: Sequence[Record] | None, *, generate: bool) -> KeyState:
    """Find (or, when `generate`, create) the public key for one selector. Errors become diagnostics."""
    diags: list[Diagnostic] = []
    src = spec.source

    def err(msg: str) -> None:
        diags.append(Diagnostic("error", src, msg))

    name = dkim.record_name(spec.selector, zone)
    live_rec = live_dkim(live, name)
    live_key: dkim.PublicKey | None = None
    live_problem: str | None = None  # settled once the local key is known: a repair or an error
    if live_rec is not None:
        try:
            live_key = dkim.public_key_from_record(live_rec.value)
        except dkim.DkimParseError as exc:
            live_problem = str(exc)

    local_key: dkim.PublicKey | None = None
    origin = ""
    unreadable = False
    private = spec.private_key
    if private.exists():
        try:
            local_key = read_private_key(private).public_key()
            origin = f"private key {private}"
        except PermissionError:
            unreadable = True
        except KeyFileError as exc:
            err(
                f"DKIM private key {private} cannot be used: {exc}. The mail server signs with this file, so "
                "a broken one means unsigned mail; fix or remove it"
            )
        except OSError as exc:
            err(f"cannot read DKIM private key {private}: {exc.strerror or exc}")

    for path, what in (
        (pub_path(private), "public key file"),
        (maddy_dns_path(private), "maddy record file"),
    ):
        if not path.is_file():
            continue
        try:
            key = dkim.public_key_from_text(path.read_text(encoding="utf-8", errors="replace"))
        except (OSError, dkim.DkimParseError) as exc:
            err(
                f"{what} {path} is unusable ({exc}): zonesync reads the public key from it; regenerate it "
                "from the private key or delete it"
            )
            continue
        if local_key is None:
            local_key, origin = key, f"{what} {path}"
        elif not dkim.same_key(local_key, key):
            err(
                f"{what} {path} does not match {origin}: one of them is stale, and publishing the wrong one "
                f"makes every signature fail; delete {path} (zonesync rewrites it from the private key) or "
                "restore the matching private key"
            )
        break  # the first public file found is the one used

    if unreadable and local_key is None and live_key is not None:
        diags.append(
            Diagnostic(
                "warning",
                src,
                f"cannot read DKIM private key {private} (permission denied): the record published at {name} is "
                "kept as it is, unchecked against the key; copy the public key to "
                f"{pub_path(private)} so zonesync can check it",
            )
        )
    elif unreadable and local_key is None:
        err(
            f"cannot read DKIM private key {private} (permission denied), and there is no {pub_path(private).name} "
            "beside it: zonesync needs the public half to publish the record. Run as a user that can read the "
            f"key (maddy keeps its keys 0600), or copy the public key to {pub_path(private)}"
        )

    if live_problem is not None:
        diags.append(_unusable_live(live_problem, name, spec, origin if local_key is not None else None))

    generated: GeneratedKey | None = None
    pending = False
    if local_key is not None:
        if live_key is not None and dkim.same_key(local_key, live_key):
            value = live_rec.value  # type: ignore[union-attr]  # same key: keep its spelling, no diff
        else:
            if live_key is not None:
                err(
                    f"the key published at {name} is not the key in {origin}: applying would replace it, and "
                    "mail the server signs with the published key would stop verifying. If the mail server "
                    f"uses the published key, copy that key to {private}; to rotate keys, add a new selector "
                    "(publish both, switch the server, then remove the old one)"
                )
            value = dkim.txt_value(local_key)
    elif live_key is not None:
        local_key, origin, value = live_key, f"the record published at {name}", live_rec.value  # type: ignore[union-attr]
    elif generate and not unreadable and not private.exists() and live_rec is None:
        try:
            local_key, generated = generate_key_pair(spec)
            origin = f"new key {private}"
            value = dkim.txt_value(local_key)
        except OSError as exc:
            err(
                f"cannot write the new DKIM key {private}: {exc.strerror or exc}; check the folder's permissions"
            )
            value, pending = dkim.pending_value(spec.algorithm), True
    else:
        value, pending, origin = dkim.pending_value(spec.algorithm), True, "new key, generated at apply"

    if local_key is not None:
        bits = dkim.key_bits(local_key)
        if bits is not None and bits < dkim.MIN_RSA_BITS:
            err(
                f"the DKIM key for selector {spec.selector!r} ({origin}) is RSA {bits}-bit: receivers treat keys "
                "under 2048 bits as weak (RFC 8301 §3.2 forbids under 1024) and may ignore the signature; "
                "generate a 2048-bit key under a new selector"
            )
        wanted = "ed25519" if spec.algorithm == "ed25519" else "rsa"
        if spec.algorithm_given and dkim.key_type(local_key) != wanted:
            diags.append(
                Diagnostic(
                    "warning",
                    spec.source,
                    f"selector {spec.selector!r} asks for {spec.algorithm} but its existing key ({origin}) is "
                    f"{dkim.describe(local_key)}: zonesync never replaces a key, so the existing one is published; "
                    "for another algorithm, add a new selector",
                )
            )
    return KeyState(spec, value, pending, origin, local_key, tuple(diags), generated)


def _unusable_live(problem: str, name: str, spec: DkimSpec, origin: str | None) -> Diagnostic:
    """A live DKIM record that does not parse is replaced when the right key is known (an update the
    plan shows); without a key there is nothing correct to publish, so it is an error."""
    if origin is not None:
        return Diagnostic(
            "warning",
            spec.source,
            f"the DKIM record published at {name} is unusable ({problem}): receivers cannot verify mail signed "
            f"with selector {spec.selector!r}; the plan replaces it with the key from {origin}",
        )
    return Diagnostic(
        "error",
        spec.source,
        f"the DKIM record published at {name} is unusable ({problem}): receivers cannot verify mail "
        f"signed with selector {spec.selector!r}; put the key in {spec.private_key} (or its .pub) so "
        "zonesync publishes a correct record",
    )


def write_public_key(path: Path, record_value: str) -> bool:
    """`zonesync import --mail`: the key a live DKIM record publishes, as `<key>.pub` (PEM). Never a
    private key, never over an existing file (an existing `.pub` holding the same key is fine: False).
    Raises KeyFileError when an existing file holds another key."""
    key = dkim.public_key_from_record(record_value)
    if path.exists():
        try:
            existing = dkim.public_key_from_text(path.read_text(encoding="utf-8", errors="replace"))
        except (OSError, dkim.DkimParseError) as exc:
            raise KeyFileError(f"{path} exists and is not a public key ({exc})") from None
        if not dkim.same_key(existing, key):
            raise KeyFileError(f"{path} holds another key than the one published; move it away first")
        return False
    write_new_file(path, public_pem(key), PUBLIC_MODE)
    return True
