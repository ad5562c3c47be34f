"""A throwaway certificate authority for the fixture server's TLS listener.

The reference hard-codes some hosts (``api.anthropic.com``, ``api.x.ai``, ``openrouter.ai``,
Google's and AWS's). The harness resolves them to the loopback fixture server, which answers on
TLS with a leaf certificate for those names, signed by a CA that only the harness trusts (through
the ``ssl.SSLContext`` it hands the transport, or ``SSL_CERT_FILE`` for a black-box run). Keys
are P-256: making them takes milliseconds, so every run makes its own.
"""

from __future__ import annotations

import datetime
import ssl
from dataclasses import dataclass
from pathlib import Path

# Hosts the reference contacts without being told (FORMAT.md), as certificate names. A wildcard
# covers one label only, so the regional AWS and Vertex hosts are listed per region pattern.
HARD_CODED_HOSTS = (
    "api.anthropic.com",
    "api.x.ai",
    "openrouter.ai",
    "generativelanguage.googleapis.com",
    "oauth2.googleapis.com",
    "www.googleapis.com",
    "aiplatform.googleapis.com",
    "*.googleapis.com",
    "*.us-east-1.amazonaws.com",
    "*.us-east-2.amazonaws.com",
    "*.us-west-2.amazonaws.com",
    "*.eu-west-1.amazonaws.com",
    "*.eu-central-1.amazonaws.com",
    "*.ap-northeast-1.amazonaws.com",
)


@dataclass(frozen=True)
class TLSFiles:
    """PEM paths: the CA certificate (to trust) and the leaf certificate with its key (to serve)."""

    ca: Path
    cert: Path
    key: Path

    @classmethod
    def in_directory(cls, directory: Path) -> TLSFiles:
        """The files ``make_tls_files`` writes into ``directory``."""
        return cls(directory / "ca.pem", directory / "leaf.pem", directory / "leaf.key")

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        return context

    def client_context(self) -> ssl.SSLContext:
        """What a client that trusts the test CA (and nothing else) uses."""
        return ssl.create_default_context(cafile=str(self.ca))


def make_tls_files(directory: Path, hosts: tuple[str, ...] = HARD_CODED_HOSTS) -> TLSFiles:
    """Write a fresh CA and a leaf certificate for ``hosts`` into ``directory``."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.timezone.utc)
    valid_from, valid_to = now - datetime.timedelta(days=1), now + datetime.timedelta(days=7)

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "provider-port parity test CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(valid_from)
        .not_valid_after(valid_to)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )

    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf_cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])]))
        .issuer_name(ca_name)
        .public_key(leaf_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(valid_from)
        .not_valid_after(valid_to)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(h) for h in hosts]), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )

    directory.mkdir(parents=True, exist_ok=True)
    files = TLSFiles.in_directory(directory)
    files.ca.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    files.cert.write_bytes(leaf_cert.public_bytes(serialization.Encoding.PEM))
    files.key.write_bytes(
        leaf_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return files
