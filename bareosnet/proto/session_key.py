"""Job session keys: the ``Authorization=`` value of a job.

The Storage daemon invents one key per job and hands it to the Director in
``3000 OK Job SDid=.. SDtime=.. Authorization=<key>``; the Director passes it
to the File daemon, and the key then serves as the CRAM-MD5 password (and the
TLS-PSK) of the FD<->SD data connection.

Format (Bareos >= 18.2): 16 random bytes, each written as two letters
``'A' + low nibble`` then ``'A' + high nibble``, with ``-`` after every second
byte and no trailing dash: 8 groups of 4 letters ``A``..``P``, 39 characters.
Bareos 17.2 wrote the high nibble first; the shape is the same, so
:func:`is_session_key` accepts both.  Peers must treat the key as opaque.

The key is a secret: :class:`SessionKey` never shows it in ``repr``/``str``.
"""

from __future__ import annotations

import re
import secrets

import attrs

SESSION_KEY_RANDOM_BYTES = 16
SESSION_KEY_LENGTH = 39
# The Director sends this instead of a key when a job has no Storage daemon.
DUMMY_SESSION_KEY = "dummy"

_KEY_RE = re.compile(r"[A-P]{4}(?:-[A-P]{4}){7}")


def make_session_key(rand: bytes | None = None) -> str:
    """Build a session key from 16 bytes (fresh ``secrets`` bytes by default)."""
    if rand is None:
        rand = secrets.token_bytes(SESSION_KEY_RANDOM_BYTES)
    if len(rand) != SESSION_KEY_RANDOM_BYTES:
        raise ValueError(f"a session key needs {SESSION_KEY_RANDOM_BYTES} random bytes")
    out: list[str] = []
    for i, byte in enumerate(rand):
        out.append(chr(ord("A") + (byte & 0x0F)))
        out.append(chr(ord("A") + (byte >> 4)))
        if i & 1 and i != SESSION_KEY_RANDOM_BYTES - 1:
            out.append("-")
    return "".join(out)


def is_session_key(s: str) -> bool:
    """True if ``s`` has the shape of a Bareos session key (any version)."""
    return _KEY_RE.fullmatch(s) is not None


@attrs.frozen(repr=False)
class SessionKey:
    """A session key as a value; ``repr``/``str`` hide it, ``.value`` reveals it."""

    value: str = attrs.field()

    @value.validator
    def _check(self, _attribute: attrs.Attribute[str], value: str) -> None:
        # Any non-empty word is accepted (keys are opaque); whitespace would
        # break every command line that carries the key.
        if not value or any(c.isspace() for c in value):
            raise ValueError("a session key is a non-empty word without white space")

    @classmethod
    def generate(cls) -> SessionKey:
        return cls(make_session_key())

    @property
    def is_dummy(self) -> bool:
        return self.value == DUMMY_SESSION_KEY

    def __repr__(self) -> str:
        return "SessionKey(<hidden>)"

    __str__ = __repr__
