"""Certificates and keys of a federation: a local CA, the hub's TLS certificate, node keys.

The hub's SuperLink serves TLS with a certificate signed by the network's CA;
every site's SuperNode verifies it with the CA certificate. Each site holds an
ECDSA P-384 key pair: the public key (OpenSSH form) is registered at the hub,
the private key (OpenSSH form) signs the SuperNode's requests (Flower's node
authentication); an unregistered node is refused.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

VALID_DAYS = 365


@dataclass(frozen=True)
class HubCertificates:
    ca: Path
    certificate: Path
    key: Path


@dataclass(frozen=True)
class NodeKeys:
    private: Path
    public: Path


def _write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    path.chmod(0o600)
    return path


def make_hub_certificates(folder: Path, hosts: tuple[str, ...] = ("127.0.0.1",)) -> HubCertificates:
    """A CA and the SuperLink's server certificate for ``hosts`` (IP addresses or names)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP384R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Socle federation CA")])
    ca_cert = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
        .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=VALID_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(ca_key, hashes.SHA384())
    )  # fmt: skip
    key = ec.generate_private_key(ec.SECP384R1())
    names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])]))
        .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=VALID_DAYS))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA384())
    )  # fmt: skip
    pem = serialization.Encoding.PEM
    private = serialization.PrivateFormat.PKCS8
    return HubCertificates(
        _write(folder / "ca.crt", ca_cert.public_bytes(pem)),
        _write(folder / "server.crt", cert.public_bytes(pem)),
        _write(folder / "server.key",
               key.private_bytes(pem, private, serialization.NoEncryption())),
    )  # fmt: skip


def make_node_keys(folder: Path, name: str) -> NodeKeys:
    """A site's ECDSA P-384 key pair for Flower's SuperNode authentication."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP384R1())
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption(),
    )  # fmt: skip
    public = key.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    return NodeKeys(_write(folder / f"{name}.key", private), _write(folder / f"{name}.pub", public))
