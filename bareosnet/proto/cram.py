"""Two-way CRAM-MD5 as Bareos does it.

The challenger sends ``auth cram-md5 <R.T@name> ssl=N``; the responder answers
with HMAC-MD5 of ``<R.T@name>`` keyed with the ASCII md5-hex of the password
(or a job's session key), encoded in Bareos's own base64 variant, followed by
one NUL.  A challenger accepts both that variant and standard base64.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time

import attrs

from bareosnet.errors import AuthError

OK_AUTH = b"1000 OK auth\n"
AUTH_FAILED = b"1999 Authorization failed.\n"

_B64_DIGITS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

# Lenient like bsscanf: whitespace in the format matches any run of whitespace.
_CHALLENGE_RE = re.compile(
    rb"^auth\s+cram-md5(?P<compat>c?)\s+(?P<chal>\S+)(?:\s+ssl=(?P<ssl>\d*))?\s*\x00*$"
)
_CHALLENGE_BODY_RE = re.compile(r"^<(\d+)\.(\d+)@([^>]*)>$")


def password_key(cleartext: str) -> bytes:
    """The key Bareos stores for a password: ASCII md5-hex of the cleartext."""
    return hashlib.md5(cleartext.encode("utf-8")).hexdigest().encode("ascii")


def bareos_base64(data: bytes, *, standard: bool = False) -> str:
    """Base64 without padding; ``standard=False`` is Bareos's own variant.

    Bareos's encoder ORs each byte sign-extended into a 32-bit register (so a
    byte >= 0x80 wipes the leftover bits of the previous byte) and emits the
    last partial group without left-aligning it.
    """
    out = bytearray()
    reg = 0
    pending = 0
    for byte in data:
        value = byte | 0xFFFFFF00 if (byte >= 0x80 and not standard) else byte
        reg = ((reg << 8) & 0xFFFFFFFF) | value
        pending += 8
        while pending >= 6:
            out.append(_B64_DIGITS[(reg >> (pending - 6)) & 0x3F])
            pending -= 6
    if pending:
        last = reg & ((1 << pending) - 1)
        if standard:
            last <<= 6 - pending
        out.append(_B64_DIGITS[last])
    return out.decode("ascii")


@attrs.frozen
class Challenge:
    """A parsed ``auth cram-md5`` line."""

    text: str  # "<R.T@name>", what the HMAC is computed over
    name: str  # the challenger's name (bashed, as sent)
    policy: int | None  # the challenger's ssl= value, None if absent
    compatible: bool  # "cram-md5c": answer in standard base64

    def message(self) -> bytes:
        word = "cram-md5c" if self.compatible else "cram-md5"
        ssl = "" if self.policy is None else f" ssl={self.policy}"
        return f"auth {word} {self.text}{ssl}\n".encode()


def new_challenge(
    own_name: str,
    policy: int | None,
    *,
    random: int | None = None,
    timestamp: int | None = None,
    compatible: bool = False,
) -> Challenge:
    """A fresh challenge naming us; ``own_name`` is already qualified and bashed."""
    r = secrets.randbelow(2**31) if random is None else random
    t = int(time.time()) if timestamp is None else timestamp
    return Challenge(f"<{r}.{t}@{own_name}>", own_name, policy, compatible)


def parse_challenge(payload: bytes) -> Challenge:
    """Parse a challenge packet; a bad one is an :class:`AuthError` (bad-challenge)."""
    m = _CHALLENGE_RE.match(payload)
    if m is None:
        raise AuthError("peer did not send a CRAM-MD5 challenge", "bad-challenge")
    try:
        text = m.group("chal").decode("utf-8")
    except UnicodeDecodeError:
        raise AuthError("CRAM-MD5 challenge is not text", "bad-challenge") from None
    body = _CHALLENGE_BODY_RE.match(text)
    if body is None:
        raise AuthError(f"CRAM-MD5 challenge has a bad shape: {text[:80]!r}", "bad-challenge")
    ssl = m.group("ssl")
    policy = None if ssl is None else int(ssl or b"0")
    return Challenge(text, body.group(3), policy, bool(m.group("compat")))


def compute_response(key: bytes, challenge: Challenge | str, *, standard: bool = False) -> str:
    text = challenge.text if isinstance(challenge, Challenge) else challenge
    digest = hmac.new(key, text.encode("utf-8"), hashlib.md5).digest()
    return bareos_base64(digest, standard=standard)


def response_packet(key: bytes, challenge: Challenge) -> bytes:
    """Our answer: the variant the challenge asks for, plus the NUL Bareos sends."""
    return compute_response(key, challenge, standard=challenge.compatible).encode() + b"\x00"


def verify_response(key: bytes, challenge: Challenge, received: bytes) -> bool:
    """True if ``received`` answers ``challenge`` in either base64 variant."""
    answer = received.split(b"\x00", 1)[0].strip()
    try:
        text = answer.decode("ascii")
    except UnicodeDecodeError:
        return False
    return any(
        hmac.compare_digest(text, compute_response(key, challenge, standard=std))
        for std in (False, True)
    )


def is_replay(challenge: Challenge, own_name: str) -> bool:
    """A challenge carrying our own name is a replay, except between SDs."""
    return challenge.name == own_name and "R_STORAGE" not in own_name
