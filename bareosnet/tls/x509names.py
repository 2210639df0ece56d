"""The names in a DER certificate that Bareos's post-handshake checks look at.

Python's ``getpeercert()`` only decodes a certificate that OpenSSL verified,
but Bareos also reports and checks peers whose certificate was not verified
(``TLS Verify Peer = no``).  ``cryptography`` is not a runtime dependency, so
this module reads just the subject ``commonName`` values and the
``subjectAltName`` dNSName entries straight from the DER bytes that
``getpeercert(binary_form=True)`` returns.  Anything malformed raises
``ValueError``; callers treat that as "no usable name".
"""

from __future__ import annotations

import attrs

_OID_COMMON_NAME = bytes.fromhex("550403")  # 2.5.4.3
_OID_SUBJECT_ALT_NAME = bytes.fromhex("551d11")  # 2.5.29.17

_SEQUENCE, _SET, _OID, _OCTET_STRING = 0x30, 0x31, 0x06, 0x04
_EXPLICIT_VERSION, _EXPLICIT_EXTENSIONS = 0xA0, 0xA3
_GENERAL_NAME_DNS = 0x82  # [2] IMPLICIT IA5String

# ASN.1 string types a DirectoryString may use, and how to decode them.
_STRING_CODECS = {
    0x0C: "utf-8",  # UTF8String
    0x13: "latin-1",  # PrintableString
    0x14: "latin-1",  # TeletexString (historically treated as Latin-1)
    0x16: "latin-1",  # IA5String
    0x1C: "utf-32-be",  # UniversalString
    0x1E: "utf-16-be",  # BMPString
}


@attrs.frozen
class CertificateNames:
    """Subject CNs in certificate order, and the SAN dNSName entries."""

    common_names: tuple[str, ...]
    dns_names: tuple[str, ...]

    @property
    def first_common_name(self) -> str | None:
        # OpenSSL's X509_NAME_get_text_by_NID (Bareos's Allowed CN check) uses the first CN.
        return self.common_names[0] if self.common_names else None


def _tlv(data: bytes, pos: int, end: int) -> tuple[int, int, int]:
    """(tag, value start, value end) of the element at ``pos``."""
    if pos + 2 > end:
        raise ValueError("truncated DER element")
    tag = data[pos]
    if tag & 0x1F == 0x1F:
        raise ValueError("multi-byte DER tags are not used in the parts we read")
    length = data[pos + 1]
    pos += 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4 or pos + count > end:
            raise ValueError("bad DER length")
        length = int.from_bytes(data[pos : pos + count], "big")
        pos += count
    if pos + length > end:
        raise ValueError("DER element runs past its parent")
    return tag, pos, pos + length


def _children(data: bytes, start: int, end: int) -> list[tuple[int, int, int]]:
    out = []
    pos = start
    while pos < end:
        tag, vstart, vend = _tlv(data, pos, end)
        out.append((tag, vstart, vend))
        pos = vend
    return out


def _expect(element: tuple[int, int, int], tag: int, what: str) -> tuple[int, int]:
    if element[0] != tag:
        raise ValueError(f"{what}: expected tag 0x{tag:02x}, found 0x{element[0]:02x}")
    return element[1], element[2]


def _decode_string(data: bytes, tag: int, start: int, end: int) -> str:
    codec = _STRING_CODECS.get(tag)
    if codec is None:
        raise ValueError(f"unsupported string type 0x{tag:02x}")
    return data[start:end].decode(codec)


def _subject_common_names(data: bytes, start: int, end: int) -> list[str]:
    names = []
    for rdn in _children(data, start, end):
        for atv in _children(data, *_expect(rdn, _SET, "RDN")):
            parts = _children(data, *_expect(atv, _SEQUENCE, "AttributeTypeAndValue"))
            if len(parts) != 2:
                raise ValueError("AttributeTypeAndValue must have two parts")
            oid_start, oid_end = _expect(parts[0], _OID, "attribute type")
            if data[oid_start:oid_end] == _OID_COMMON_NAME:
                names.append(_decode_string(data, *parts[1]))
    return names


def _san_dns_names(data: bytes, start: int, end: int) -> list[str]:
    names: list[str] = []
    extensions = _children(data, start, end)
    if len(extensions) != 1:
        raise ValueError("extensions: expected one SEQUENCE")
    for ext in _children(data, *_expect(extensions[0], _SEQUENCE, "extensions")):
        parts = _children(data, *_expect(ext, _SEQUENCE, "extension"))
        if len(parts) < 2:
            raise ValueError("extension too short")
        oid_start, oid_end = _expect(parts[0], _OID, "extension id")
        if data[oid_start:oid_end] != _OID_SUBJECT_ALT_NAME:
            continue
        value_start, value_end = _expect(parts[-1], _OCTET_STRING, "extension value")
        inner = _children(data, value_start, value_end)
        if len(inner) != 1:
            raise ValueError("subjectAltName: expected one SEQUENCE")
        for tag, gstart, gend in _children(data, *_expect(inner[0], _SEQUENCE, "GeneralNames")):
            if tag == _GENERAL_NAME_DNS:
                names.append(data[gstart:gend].decode("ascii"))
    return names


def certificate_names(der: bytes) -> CertificateNames:
    """Subject CNs and SAN DNS names of a DER X.509 certificate."""
    top = _children(der, 0, len(der))
    if len(top) != 1:
        raise ValueError("not a single DER certificate")
    cert = _children(der, *_expect(top[0], _SEQUENCE, "Certificate"))
    if not cert:
        raise ValueError("empty Certificate")
    tbs = _children(der, *_expect(cert[0], _SEQUENCE, "TBSCertificate"))
    if tbs and tbs[0][0] == _EXPLICIT_VERSION:
        tbs = tbs[1:]
    # serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo, ...
    if len(tbs) < 6:
        raise ValueError("TBSCertificate too short")
    common_names = _subject_common_names(der, *_expect(tbs[4], _SEQUENCE, "subject"))
    dns_names: list[str] = []
    for tag, start, end in tbs[6:]:
        if tag == _EXPLICIT_EXTENSIONS:
            dns_names = _san_dns_names(der, start, end)
    return CertificateNames(tuple(common_names), tuple(dns_names))
