"""File attributes as the File daemon sends them (stream 1, UNIX attributes).

Two encodings live here:

* Bareos's *integer* base64 (``ToBase64``/``FromBase64`` in Bareos's
  ``lib/base64.cc``): a number is written most significant 6-bit group first
  with the alphabet ``A-Z a-z 0-9 + /``, no padding, no leading ``A``s (zero is
  ``A``), and a ``-`` in front of negative numbers.  This is *not* RFC 4648.
* The encoded ``stat`` (``EncodeStat``/``DecodeStat`` in ``lib/attribs.cc``):
  16 such numbers separated by single spaces, in this order: st_dev, st_ino,
  st_mode, st_nlink, st_uid, st_gid, st_rdev, st_size, st_blksize, st_blocks,
  st_atime, st_mtime, st_ctime, LinkFI (FileIndex of the hard-linked original),
  st_flags (BSD; 0 elsewhere), data stream.  Decoders accept the last three as
  optional (older writers stopped after st_ctime).

The attribute record (payload of the stream-1 data packet, sent by the FD,
stored on the volume and forwarded by the SD in ``UpdCat``) is::

    <FileIndex> <FileType> <fname>\\0<encoded stat>\\0<link>\\0<extended attrs>\\0<delta seq>\\0

For a directory (FT_DIREND) ``fname`` carries the trailing slash; ``link`` is
empty except for symbolic links (FT_LNK), hard links (FT_LNKSAVED) and Windows
junctions.  Restore-object records (FT_RESTORE_FIRST, FT_PLUGIN_CONFIG[_FILLED])
use another layout and are refused here.

File names are bytes on the wire; they are kept as ``str`` decoded with
UTF-8 + ``surrogateescape`` so any byte sequence survives a round trip.
"""

from __future__ import annotations

import os
import re
import stat as stat_module
from enum import IntEnum

import attrs

from bareosnet.errors import ProtocolError

_B64_DIGITS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_B64_VALUE = {c: i for i, c in enumerate(_B64_DIGITS)}
_INT64_MIN = -(1 << 63)
_UINT64_MAX = (1 << 64) - 1

_FS_ENCODING = "utf-8"
_FS_ERRORS = "surrogateescape"


class FileType(IntEnum):
    """File types of the attribute record (Bareos ``include/filetypes.h``)."""

    LNKSAVED = 1  # hard link to a file already saved
    REGE = 2  # regular file, empty
    REG = 3  # regular file
    LNK = 4  # symbolic link
    DIREND = 5  # directory, sent after its contents
    SPEC = 6  # special file: character/block device, fifo, socket
    NOACCESS = 7
    NOFOLLOW = 8
    NOSTAT = 9
    NOCHG = 10  # incremental: file not changed
    DIRNOCHG = 11  # incremental: directory not changed
    ISARCH = 12
    NORECURSE = 13
    NOFSCHG = 14
    NOOPEN = 15
    RAW = 16  # raw block device
    FIFO = 17
    DIRBEGIN = 18  # internal to the FD, never sent
    INVALIDFS = 19
    INVALIDDT = 20
    REPARSE = 21  # Windows reparse point
    PLUGIN = 22
    DELETED = 23
    BASE = 24
    RESTORE_FIRST = 25
    JUNCTION = 26
    PLUGIN_CONFIG = 27
    PLUGIN_CONFIG_FILLED = 28


# Only the low 16 bits of the type word are the type; Bareos may set flags above.
FT_MASK = 0xFFFF
_OBJECT_TYPES = frozenset(
    {FileType.RESTORE_FIRST, FileType.PLUGIN_CONFIG, FileType.PLUGIN_CONFIG_FILLED}
)


def _as_int64(value: int) -> int:
    """What a C cast to int64_t makes of ``value`` (two's complement wrap)."""
    return ((value - _INT64_MIN) % (1 << 64)) + _INT64_MIN


def to_base64(value: int) -> str:
    """Encode an integer the way Bareos's ``ToBase64`` does."""
    if not _INT64_MIN <= value <= _UINT64_MAX:
        raise ValueError(f"{value} does not fit in 64 bits")
    value = _as_int64(value)  # Bareos takes an int64_t: the upper uint64 half wraps
    sign = ""
    if value < 0:
        sign, value = "-", -value
    digits = [_B64_DIGITS[value & 0x3F]]
    value >>= 6
    while value:
        digits.append(_B64_DIGITS[value & 0x3F])
        value >>= 6
    return sign + "".join(reversed(digits))


def from_base64(text: str) -> int:
    """Decode one Bareos base64 integer; unknown characters are an error.

    (Bareos itself maps unknown characters to 0; a real peer never sends them,
    so here they mean the record is damaged.)
    """
    negative = text.startswith("-")
    body = text[1:] if negative else text
    if not body:
        raise ProtocolError(f"empty base64 number {text!r}")
    value = 0
    for ch in body:
        digit = _B64_VALUE.get(ch)
        if digit is None:
            raise ProtocolError(f"bad character {ch!r} in base64 number {text!r}")
        value = (value << 6) | digit
    # Bareos accumulates in a uint64_t and returns an int64_t.
    value &= _UINT64_MAX
    return _as_int64(-value if negative else value)


@attrs.frozen
class Stat:
    """The ``stat`` fields Bareos transmits, plus LinkFI, flags and data stream."""

    dev: int = 0
    ino: int = 0
    mode: int = 0
    nlink: int = 0
    uid: int = 0
    gid: int = 0
    rdev: int = 0
    size: int = 0
    blksize: int = 0
    blocks: int = 0
    atime: int = 0
    mtime: int = 0
    ctime: int = 0
    link_fi: int = 0  # FileIndex of the original of a hard link, else 0
    flags: int = 0  # BSD st_flags, 0 on Linux
    data_stream: int = 0  # stream number the file's data is sent with

    @classmethod
    def from_os_stat(cls, st: os.stat_result, *, link_fi: int = 0, data_stream: int = 0) -> Stat:
        """Take the fields from ``os.stat``/``os.lstat`` (times truncated to seconds)."""
        return cls(
            dev=st.st_dev,
            ino=st.st_ino,
            mode=st.st_mode,
            nlink=st.st_nlink,
            uid=st.st_uid,
            gid=st.st_gid,
            rdev=getattr(st, "st_rdev", 0),
            size=st.st_size,
            blksize=getattr(st, "st_blksize", 0),
            blocks=getattr(st, "st_blocks", 0),
            atime=int(st.st_atime),
            mtime=int(st.st_mtime),
            ctime=int(st.st_ctime),
            link_fi=link_fi,
            flags=getattr(st, "st_flags", 0),
            data_stream=data_stream,
        )

    @property
    def is_dir(self) -> bool:
        return stat_module.S_ISDIR(self.mode)

    @property
    def is_reg(self) -> bool:
        return stat_module.S_ISREG(self.mode)

    @property
    def is_link(self) -> bool:
        return stat_module.S_ISLNK(self.mode)


_STAT_FIELDS = tuple(a.name for a in attrs.fields(Stat))


def encode_stat(st: Stat) -> str:
    """The 16-number string Bareos's ``EncodeStat`` produces."""
    return " ".join(to_base64(getattr(st, name)) for name in _STAT_FIELDS)


def decode_stat(text: str) -> Stat:
    """Parse an encoded stat; the last three numbers are optional."""
    parts = text.split(" ")
    if not 13 <= len(parts) <= 16:
        raise ProtocolError(f"encoded stat has {len(parts)} fields, expected 13 to 16: {text!r}")
    values = [from_base64(p) for p in parts]
    return Stat(**dict(zip(_STAT_FIELDS, values, strict=False)))


def _fs_decode(raw: bytes) -> str:
    return raw.decode(_FS_ENCODING, _FS_ERRORS)


def _fs_encode(text: str) -> bytes:
    return text.encode(_FS_ENCODING, _FS_ERRORS)


def _file_type(value: int) -> int:
    try:
        return FileType(value)
    except ValueError:
        return int(value)


_HEAD_RE = re.compile(rb"(-?\d+) (\d+) ")


@attrs.frozen
class AttributeRecord:
    """One UNIX-attributes record (stream 1 payload)."""

    file_index: int
    # A FileType when known; unknown numbers stay plain ints and survive.
    file_type: int = attrs.field(converter=_file_type)
    fname: str
    stat: Stat
    link: str = ""
    extended_attributes: str = ""  # Win32 "attribsEx"; empty on UNIX
    delta_seq: int = 0

    def encode(self) -> bytes:
        for name in ("fname", "link", "extended_attributes"):
            if "\0" in getattr(self, name):
                raise ValueError(f"{name} must not contain a NUL byte")
        return b"".join(
            (
                f"{self.file_index} {self.file_type} ".encode(),
                _fs_encode(self.fname),
                b"\0",
                encode_stat(self.stat).encode("ascii"),
                b"\0",
                _fs_encode(self.link),
                b"\0",
                _fs_encode(self.extended_attributes),
                b"\0",
                str(self.delta_seq).encode(),
                b"\0",
            )
        )

    @classmethod
    def parse(cls, data: bytes) -> AttributeRecord:
        head = _HEAD_RE.match(data)
        if head is None:
            raise ProtocolError(
                f"attribute record does not start with '<FileIndex> <FileType> ': {data[:40]!r}"
            )
        file_index = int(head.group(1))
        file_type = int(head.group(2)) & FT_MASK
        if file_type in _OBJECT_TYPES:
            raise ProtocolError(f"restore-object records (file type {file_type}) are not supported")
        fields = data[head.end() :].split(b"\0")
        # fname, stat, link, attribsEx, delta seq, then the empty tail after the last NUL.
        if len(fields) < 4:
            raise ProtocolError(
                f"attribute record has {len(fields) - 1} NUL-terminated fields, expected 5"
            )
        fname, enc_stat, link, attr_ex = fields[:4]
        delta_seq = 0
        if len(fields) >= 6 and fields[4]:
            if not fields[4].isdigit():
                raise ProtocolError(f"bad delta sequence {fields[4]!r} in attribute record")
            delta_seq = int(fields[4])
        try:
            stat_text = enc_stat.decode("ascii")
        except UnicodeDecodeError:
            raise ProtocolError("encoded stat is not ASCII") from None
        return cls(
            file_index=file_index,
            file_type=file_type,
            fname=_fs_decode(fname),
            stat=decode_stat(stat_text),
            link=_fs_decode(link),
            extended_attributes=_fs_decode(attr_ex),
            delta_seq=delta_seq,
        )
