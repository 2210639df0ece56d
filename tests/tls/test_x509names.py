"""The DER name reader against certificates built by ``cryptography``."""

from __future__ import annotations

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID
from hypothesis import given, settings
from hypothesis import strategies as st

from bareosnet.tls.x509names import CertificateNames, certificate_names
from tests.tls.pki import self_signed_der


def test_cn_and_san_dns() -> None:
    der = self_signed_der(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Bareos Test"),
            x509.NameAttribute(NameOID.COMMON_NAME, "bareos-dir.example"),
        ],
        ["bareos-dir.example", "backup.example"],
    )
    names = certificate_names(der)
    assert names == CertificateNames(
        ("bareos-dir.example",), ("bareos-dir.example", "backup.example")
    )
    assert names.first_common_name == "bareos-dir.example"


def test_several_cns_keep_certificate_order_and_no_san() -> None:
    der = self_signed_der(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "first"),
            x509.NameAttribute(NameOID.COMMON_NAME, "second"),
        ],
        [],
    )
    assert certificate_names(der) == CertificateNames(("first", "second"), ())


def test_string_types() -> None:
    der = self_signed_der(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "bmp-ü", x509.name._ASN1Type.BMPString),
            x509.NameAttribute(
                NameOID.COMMON_NAME, "printable", x509.name._ASN1Type.PrintableString
            ),
            x509.NameAttribute(NameOID.COMMON_NAME, "utf8-é"),
        ],
        [],
    )
    assert certificate_names(der).common_names == ("bmp-ü", "printable", "utf8-é")


def test_no_cn() -> None:
    der = self_signed_der(
        [x509.NameAttribute(NameOID.ORGANIZATION_NAME, "org only")], ["a.example"]
    )
    names = certificate_names(der)
    assert names.first_common_name is None and names.dns_names == ("a.example",)


@pytest.mark.parametrize(
    "blob", [b"", b"\x30", b"\x30\x05\x30\x03\x02\x01", b"\x04\x00", b"\x30\x00"]
)
def test_malformed_raises_value_error(blob: bytes) -> None:
    with pytest.raises(ValueError):
        certificate_names(blob)


_VALID = self_signed_der([x509.NameAttribute(NameOID.COMMON_NAME, "fuzz")], ["fuzz.example"])


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=len(_VALID) - 1), st.integers(0, 255))
def test_corrupted_certificates_only_raise_value_error(pos: int, byte: int) -> None:
    mutated = _VALID[:pos] + bytes([byte]) + _VALID[pos + 1 :]
    try:
        certificate_names(mutated)
    except ValueError:
        pass
