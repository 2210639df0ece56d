"""FileSet ``Options { }`` keywords and what each value adds to the option string.

Facts from the public Bareos sources (core/src/dird/inc_conf.cc, HEAD
eda204c31c76): for every option keyword, the accepted values and the letters
the Director puts into the compact option string it sends to the File daemon.
"""

from __future__ import annotations

from types import MappingProxyType


def _yn(yes: str, no: str) -> MappingProxyType[str, str]:
    return MappingProxyType({"yes": yes, "no": no})


# keyword (lower case, as in Bareos's table) -> {value (lower case): letters}
OPTION_VALUES: MappingProxyType[str, MappingProxyType[str, str]] = MappingProxyType(
    {
        "signature": MappingProxyType(
            {"md5": "M", "sha1": "S", "sha256": "S2", "sha512": "S3", "xxh128": "S4"}
        ),
        "compression": MappingProxyType(
            {
                "gzip": "Z6",
                **{f"gzip{n}": f"Z{n}" for n in range(1, 10)},
                "lzo": "Zo",
                "lzfast": "Zff",
                "lz4": "Zf4",
                "lz4hc": "Zfh",
            }
        ),
        "onefs": _yn("0", "f"),
        "recurse": _yn("0", "h"),
        "sparse": _yn("s", "0"),
        "hardlinks": _yn("0", "H"),
        "replace": MappingProxyType({"always": "a", "ifnewer": "w", "never": "n"}),
        "readfifo": _yn("r", "0"),
        "portable": _yn("p", "0"),
        "mtimeonly": _yn("m", "0"),
        "keepatime": _yn("k", "0"),
        "exclude": _yn("e", "0"),
        "aclsupport": _yn("A", "0"),
        "ignorecase": _yn("i", "0"),
        "hfsplussupport": _yn("R", "0"),
        "noatime": _yn("K", "0"),
        "enhancedwild": _yn("K", "0"),
        "checkfilechanges": _yn("c", "0"),
        "honornodumpflag": _yn("N", "0"),
        "xattrsupport": _yn("X", "0"),
        "shadowing": MappingProxyType(
            {
                "localwarn": "d1",
                "localremove": "d2",
                "globalwarn": "d3",
                "globalremove": "d4",
                "none": "0",
            }
        ),
        "autoexclude": _yn("0", "x"),
        "forceencryption": _yn("Ef", "0"),
    }
)

# Options whose value is a set of letters: keyword -> (prefix letter, permitted letters)
LETTER_SET_OPTIONS = MappingProxyType(
    {"verify": ("V", "ipnugsamcd51"), "accurate": ("C", "ipnugsamcd51A")}
)

# Options that keep their value: StripPath (integer) and Size (size match).
PREFIXED_OPTIONS = MappingProxyType({"strippath": "P", "size": "z"})

# Appended to every Options block that does not set them (and to the implicit
# block of an Include without Options): hard links off, ACL support on, xattrs on, in
# the order of Bareos's keyword enum (a real Director sends "O MHAX" for Signature = MD5).
DEFAULT_OPTION_LETTERS = (("hardlinks", "H"), ("aclsupport", "A"), ("xattrsupport", "X"))

# Options keywords whose values are collected as lists (not option letters).
LIST_OPTIONS = frozenset(
    {
        "regex",
        "regexdir",
        "regexfile",
        "wild",
        "wilddir",
        "wildfile",
        "fstype",
        "drivetype",
        "meta",
        "plugin",
    }
)
