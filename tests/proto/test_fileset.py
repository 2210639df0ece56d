from __future__ import annotations

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bareosnet.errors import ProtocolError
from bareosnet.proto.fileset import (
    FileOptions,
    FileSet,
    FilesetParser,
    IncludeExclude,
    encode_fileset,
    keywords_from_options,
    options_from_keywords,
    parse_fileset,
)
from tests.support.transcripts import read_transcript


def _fileset_packets(name: str) -> list[bytes]:
    frames = read_transcript(name)
    start = next(i for i, f in enumerate(frames) if f.payload and f.payload.startswith(b"fileset"))
    out = []
    for f in frames[start + 1 :]:
        if f.signal == -1:
            break
        assert f.payload is not None
        out.append(f.payload)
    return out


LAB_FILESET = FileSet(
    includes=[
        IncludeExclude(
            files=["/srv/bareos-lab/data"],
            options=[FileOptions.from_keywords({"Signature": "MD5"})],
        )
    ]
)


@pytest.mark.parametrize(
    "name",
    ["stream05-to-file-daemon", "stream08-to-file-daemon", "set2-stream00-to-director"],
)
def test_lab_fileset_bytes(name: str) -> None:
    packets = _fileset_packets(name)
    assert packets == [b"I\n", b"O MHAX\n", b"N\n", b"F /srv/bareos-lab/data", b"N\n", b"N\n"]
    assert encode_fileset(LAB_FILESET) == packets
    assert parse_fileset(packets) == LAB_FILESET


def test_options_letters_like_the_director() -> None:
    # Signature = MD5 plus the defaults HardLinks=no, AclSupport=yes, XAttrSupport=yes.
    assert options_from_keywords({"signature": "MD5"}) == "MHAX"
    assert options_from_keywords({"Signature": "SHA1", "Compression": "GZIP"}) == "SZ6HAX"
    assert options_from_keywords({"compression": "lz4", "signature": "sha256"}) == "Zf4S2HAX"
    assert options_from_keywords({"recurse": "no", "onefs": "no"}) == "hfHAX"
    # An explicit "yes" appends "0" (what Bareos does) and suppresses the default.
    assert options_from_keywords({"hardlinks": "yes", "aclsupport": "no"}) == "00X"
    assert options_from_keywords({"verify": "pins5", "strippath": "2"}) == "Vpins5:P2:HAX"
    assert options_from_keywords({"accurate": "mcc"}, apply_defaults=False) == "Cmc:"
    assert options_from_keywords({"signature": "MD5"}, apply_defaults=False) == "M"


@pytest.mark.parametrize(
    "keywords",
    [{"signature": "crc"}, {"nosuch": "yes"}, {"strippath": "x"}, {"verify": "a:b"}],
)
def test_bad_keywords(keywords: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        options_from_keywords(keywords)


def test_letters_back_to_keywords() -> None:
    assert keywords_from_options("MHAX") == {
        "signature": "md5",
        "hardlinks": "no",
        "aclsupport": "yes",
        "xattrsupport": "yes",
    }
    assert keywords_from_options("SZffEa3hfd2") == {
        "signature": "sha1",
        "compression": "lzfast",
        "encryption": "aes256",
        "recurse": "no",
        "onefs": "no",
        "shadowing": "localremove",
    }
    assert keywords_from_options("S4Z9Vpins:P3:z>10k:") == {
        "signature": "xxh128",
        "compression": "gzip9",
        "verify": "pins",
        "strippath": "3",
        "size": ">10k",
    }
    assert keywords_from_options("0W0") == {"enhancedwild": "yes"}
    with pytest.raises(ProtocolError):
        keywords_from_options("MQ")


_MEANINGFUL = {
    "signature": ["md5", "sha1", "sha256", "sha512", "xxh128"],
    "compression": ["gzip1", "gzip6", "gzip9", "lzo", "lzfast", "lz4", "lz4hc"],
    "encryption": ["blowfish", "3des", "aes128", "aes256", "camellia192", "aes256hmacsha1"],
    "onefs": ["no"],
    "recurse": ["no"],
    "sparse": ["yes"],
    "hardlinks": ["no"],
    "replace": ["always", "ifnewer", "never"],
    "portable": ["yes"],
    "mtimeonly": ["yes"],
    "keepatime": ["yes"],
    "exclude": ["yes"],
    "aclsupport": ["yes"],
    "ignorecase": ["yes"],
    "noatime": ["yes"],
    "checkfilechanges": ["yes"],
    "honornodumpflag": ["yes"],
    "xattrsupport": ["yes"],
    "shadowing": ["localwarn", "globalremove"],
    "autoexclude": ["no"],
    "forceencryption": ["yes"],
}


@given(
    st.dictionaries(st.sampled_from(sorted(_MEANINGFUL)), st.just(""), max_size=8).flatmap(
        lambda d: st.fixed_dictionaries({k: st.sampled_from(_MEANINGFUL[k]) for k in d})
    )
)
def test_keywords_round_trip(keywords: dict[str, str]) -> None:
    letters = options_from_keywords(keywords, apply_defaults=False)
    assert keywords_from_options(letters) == keywords


def test_full_structure_round_trip() -> None:
    fs = FileSet(
        includes=[
            IncludeExclude(
                files=["/etc", "/home/user/My Documents", "\\|literal pipe"],
                options=[
                    FileOptions(
                        "MZ6WHAX",
                        regex=[r".*\.o$"],
                        regexdir=["cache"],
                        regexfile=[r"\.tmp$"],
                        wild=["*.bak"],
                        wilddir=["*/tmp"],
                        wildfile=["*.swp"],
                        wildbase=["core"],
                        base=["md5"],
                        fstype=["ext4", "xfs"],
                        drivetype=["fixed"],
                        plugin="python:module=x",
                        reader="/bin/r",
                        writer="/bin/w",
                    ),
                    FileOptions("e", wild=["*.iso"]),
                ],
                plugins=["bpipe:file=/x:reader=cat /y:writer=tee /y"],
                ignore_dirs=[".nobackup"],
            ),
            IncludeExclude(files=["/var"]),
        ],
        excludes=[IncludeExclude(files=["/proc", "/sys"])],
    )
    packets = encode_fileset(fs)
    assert packets[:3] == [b"I\n", b"Z .nobackup\n", b"O MZ6WHAX\n"]
    assert b"WB core\n" in packets  # enhanced wild ('W') => wildbase as WB
    assert b"F /home/user/My Documents" in packets
    assert packets[-4:] == [b"F /proc", b"F /sys", b"N\n", b"N\n"]
    # "\\|x" is the configuration's escape of a client-side program: the Director
    # drops the backslash (Bareos SendListItem) and the FD runs "|x".
    assert b"F |literal pipe" in packets
    inc0 = fs.includes[0]
    files = ("/etc", "/home/user/My Documents", "|literal pipe")
    unescaped = attrs.evolve(fs, includes=[attrs.evolve(inc0, files=files), *fs.includes[1:]])
    assert parse_fileset(packets) == unescaped


def test_wildbase_without_enhanced_wild_is_sent_as_wildfile() -> None:
    packets = encode_fileset(FileSet([IncludeExclude(options=[FileOptions("M", wildbase=["x"])])]))
    assert b"WF x\n" in packets


def test_parser_follows_the_fd() -> None:
    parser = FilesetParser()
    for line in (b"I\n", b"O M\n", b"R .*\n", b"N\n", b"F /a   ", b"F /b\n", b"N\n", b"N\n"):
        parser.feed(line)
    fs = parser.result()
    # Trailing blanks are stripped as StripTrailingJunk does.
    assert fs.includes[0].files == ("/a", "/b")
    assert fs.includes[0].options == (FileOptions("M", regex=[".*"]),)


@pytest.mark.parametrize(
    "packets",
    [[b"F /x"], [b"I\n", b"Q what\n"], [b"I\n", b"RX bad\n"], [b"I\n", b"\n"]],
)
def test_parser_rejects_garbage(packets: list[bytes]) -> None:
    with pytest.raises(ProtocolError):
        parse_fileset(packets)


def test_items_with_newlines_cannot_be_sent() -> None:
    with pytest.raises(ValueError):
        encode_fileset(FileSet([IncludeExclude(files=["/a\n/b"])]))


# A leading backslash is an escape the Director drops (see test_full_structure_round_trip).
paths = st.text(
    st.characters(blacklist_categories=("Cs", "Cc", "Zs", "Zl", "Zp")), min_size=1, max_size=20
).filter(lambda p: not p.startswith("\\"))


@given(
    st.lists(
        st.builds(
            IncludeExclude,
            files=st.lists(paths, max_size=3),
            plugins=st.lists(paths, max_size=2),
            ignore_dirs=st.lists(paths, max_size=2),
            options=st.lists(
                st.builds(
                    FileOptions,
                    flags=st.sampled_from(["", "M", "MHAX", "SZ6", "hf"]),
                    wild=st.lists(paths, max_size=2),
                    regexdir=st.lists(paths, max_size=2),
                    fstype=st.lists(paths, max_size=1),
                    plugin=st.none() | paths,
                ),
                max_size=2,
            ),
        ),
        min_size=1,
        max_size=3,
    ),
    st.lists(st.builds(IncludeExclude, files=st.lists(paths, max_size=3)), max_size=2),
)
def test_fileset_round_trip(includes: list[IncludeExclude], excludes: list[IncludeExclude]) -> None:
    fs = FileSet(includes, excludes)
    assert parse_fileset(encode_fileset(fs)) == fs
