"""Certificates, keys, CRLs and DH parameters made at test time (trustme + cryptography)."""

from __future__ import annotations

import datetime
import shutil
import subprocess
from pathlib import Path

import attrs
import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

# RFC 7919 ffdhe2048 group, PKCS#3 PEM (public, fixed parameters).
FFDHE2048_PEM = b"""-----BEGIN DH PARAMETERS-----
MIIBCAKCAQEA//////////+t+FRYortKmq/cViAnPTzx2LnFg84tNpWp4TZBFGQz
+8yTnc4kmz75fS/jY2MMddj2gbICrsRhetPfHtXV/WVhJDP1H18GbtCFY2VVPe0a
87VXE15/V8k1mE8McODmi3fipona8+/och3xWKE2rec1MKzKT0g6eXq8CrGCsyT7
YdEIqUuyyOP7uWrat2DX9GgdT0Kj3jlN9K5W7edjcrsZCwenyO4KbXCeAvzhzffi
7MA0BM0oNC9hkXL+nOmFg/+OTxIy7vKBg8P+OxtMb61zO7X8vC7CIAXFjvGDfRaD
ssbzSibBsu/6iGtCOGEoXJf//////////wIBAg==
-----END DH PARAMETERS-----
"""


@attrs.frozen
class Leaf:
    cert: str  # PEM chain file (leaf only)
    key: str  # PEM key file
    serial: int


@attrs.define
class Pki:
    """A CA and helpers to issue leaves into ``root``."""

    root: Path
    ca: trustme.CA
    ca_file: str
    counter: int = 0

    def _path(self, stem: str) -> Path:
        self.counter += 1
        return self.root / f"{self.counter:02d}-{stem}"

    def leaf(
        self,
        common_name: str,
        *dns: str,
        not_after: datetime.datetime | None = None,
        passphrase: bytes | None = None,
        key_type: trustme.KeyType = trustme.KeyType.ECDSA,
    ) -> Leaf:
        cert = self.ca.issue_cert(
            *(dns or (common_name,)),
            common_name=common_name,
            not_after=not_after,
            key_type=key_type,
        )
        cert_path = self._path(f"{common_name}.crt")
        key_path = self._path(f"{common_name}.key")
        cert.cert_chain_pems[0].write_to_path(str(cert_path))
        if passphrase is None:
            cert.private_key_pem.write_to_path(str(key_path))
        else:
            key = serialization.load_pem_private_key(cert.private_key_pem.bytes(), None)
            key_path.write_bytes(
                key.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.BestAvailableEncryption(passphrase),
                )
            )
        serial = x509.load_pem_x509_certificate(cert.cert_chain_pems[0].bytes()).serial_number
        return Leaf(str(cert_path), str(key_path), serial)

    def crl(self, *revoked_serials: int) -> str:
        """A CRL signed by the CA, revoking ``revoked_serials``."""
        ca_cert = x509.load_pem_x509_certificate(self.ca.cert_pem.bytes())
        ca_key = serialization.load_pem_private_key(self.ca.private_key_pem.bytes(), None)
        now = datetime.datetime.now(datetime.UTC)
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(ca_cert.subject)
            .last_update(now - datetime.timedelta(days=1))
            .next_update(now + datetime.timedelta(days=30))
        )
        for serial in revoked_serials:
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder()
                .serial_number(serial)
                .revocation_date(now - datetime.timedelta(hours=1))
                .build()
            )
        crl = builder.sign(ca_key, hashes.SHA256())  # type: ignore[arg-type]
        path = self._path("ca.crl.pem")
        path.write_bytes(crl.public_bytes(serialization.Encoding.PEM))
        return str(path)

    def hashed_ca_dir(self) -> str:
        """An OpenSSL ``-CApath`` directory holding the CA as ``<subject hash>.0``."""
        openssl = shutil.which("openssl")
        assert openssl is not None
        digest = subprocess.run(
            [openssl, "x509", "-hash", "-noout", "-in", self.ca_file],
            check=True,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
        directory = self._path("capath")
        directory.mkdir()
        shutil.copy(self.ca_file, directory / f"{digest}.0")
        return str(directory)

    def dh_file(self) -> str:
        path = self._path("ffdhe2048.pem")
        path.write_bytes(FFDHE2048_PEM)
        return str(path)


def make_pki(root: Path, **ca_kwargs: object) -> Pki:
    ca = trustme.CA(**ca_kwargs)  # type: ignore[arg-type]
    ca_file = root / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    return Pki(root=root, ca=ca, ca_file=str(ca_file))


def self_signed_der(names: list[x509.NameAttribute], san: list[str]) -> bytes:
    """A DER certificate with exactly the given subject attributes and SAN DNS names."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name(names)
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "issuer")]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
    )
    if san:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(n) for n in san]), critical=False
        )
    return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)
