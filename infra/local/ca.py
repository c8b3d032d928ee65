"""A private certificate authority for the local stack.

``av-admin local up`` creates one CA per data directory and issues a server
certificate for ``localhost``, ``127.0.0.1`` and ``::1``. Clients trust it
through ``AV_CA_BUNDLE``; nothing is added to the system trust store.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import ipaddress
import os
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_VALID_DAYS = 3650
LEAF_VALID_DAYS = 397  # browsers reject leaf certificates valid for longer
LOCAL_NAMES = ("localhost",)
LOCAL_IPS = ("127.0.0.1", "::1")


def write_private(path: Path, data: bytes | str) -> None:
    """Write a file only its owner can read, without a moment of wider permissions."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data.encode() if isinstance(data, str) else data)
    os.chmod(path, 0o600)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


class LocalCA:
    """``ca.crt``/``ca.key`` and ``server.crt``/``server.key`` in one directory."""

    def __init__(self, directory: Path) -> None:
        self.dir = directory

    @property
    def ca_cert(self) -> Path:
        return self.dir / "ca.crt"

    @property
    def server_cert(self) -> Path:
        return self.dir / "server.crt"

    @property
    def server_key(self) -> Path:
        return self.dir / "server.key"

    def ensure(self) -> None:
        """Create the CA and a server certificate unless valid ones exist."""
        self.dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.dir, 0o700)
        if not self.ca_cert.exists() or not (self.dir / "ca.key").exists():
            self._make_ca()
        if not self.server_cert.exists() or self._expires_soon(self.server_cert):
            self._issue_server()

    def server_spki_sha256(self) -> str:
        """The server certificate's public key pin: base64 of the SHA-256 of its DER
        SubjectPublicKeyInfo, as Chromium's ``--ignore-certificate-errors-spki-list`` takes it
        (the benchmark's and the tests' way to have the browser trust this CA, and cache)."""
        cert = x509.load_pem_x509_certificate(self.server_cert.read_bytes())
        der = cert.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return base64.b64encode(hashlib.sha256(der).digest()).decode()

    def _expires_soon(self, path: Path) -> bool:
        cert = x509.load_pem_x509_certificate(path.read_bytes())
        return cert.not_valid_after_utc - dt.datetime.now(dt.UTC) < dt.timedelta(days=30)

    def _make_ca(self) -> None:
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name(
            [
                x509.NameAttribute(NameOID.COMMON_NAME, "av-cloud local CA"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "av-cloud local stack"),
            ]
        )
        now = dt.datetime.now(dt.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=CA_VALID_DAYS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    key_cert_sign=True,
                    crl_sign=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256())
        )
        write_private(self.dir / "ca.key", _key_pem(key))
        self.ca_cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))

    def _issue_server(self) -> None:
        ca_key = serialization.load_pem_private_key((self.dir / "ca.key").read_bytes(), password=None)
        if not isinstance(
            ca_key, ec.EllipticCurvePrivateKey
        ):  # ours is always EC; anything else was swapped in
            raise RuntimeError(
                f"{self.dir / 'ca.key'} is not the EC key this CA writes; delete the CA folder to recreate it"
            )
        ca_cert = x509.load_pem_x509_certificate(self.ca_cert.read_bytes())
        key = ec.generate_private_key(ec.SECP256R1())
        now = dt.datetime.now(dt.UTC)
        san = [x509.DNSName(n) for n in LOCAL_NAMES] + [
            x509.IPAddress(ipaddress.ip_address(i)) for i in LOCAL_IPS
        ]
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
            .issuer_name(ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=LEAF_VALID_DAYS))
            .add_extension(x509.SubjectAlternativeName(san), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
            )
            .sign(ca_key, hashes.SHA256())
        )
        write_private(self.server_key, _key_pem(key))
        self.server_cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
