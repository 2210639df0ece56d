from __future__ import annotations

import stat

from bareosnet.proto.lsline import encode_mode, ls_line


def test_encode_mode_letters_as_bareos() -> None:
    assert encode_mode(stat.S_IFDIR | 0o755) == "drwxr-xr-x"
    assert encode_mode(stat.S_IFREG | 0o4755) == "-rwsr-xr-x"
    assert encode_mode(stat.S_IFREG | 0o2644) == "-rw-r-Sr--"
    assert encode_mode(stat.S_IFDIR | 0o1777) == "drwxrwxrwt"
    assert encode_mode(stat.S_IFDIR | 0o1776) == "drwxrwxrwT"
    assert encode_mode(stat.S_IFIFO | 0o600) == "frw-------"  # Bareos: f, not p
    assert encode_mode(stat.S_IFSOCK | 0o600) == "srw-------"
    assert encode_mode(stat.S_IFLNK | 0o777) == "lrwxrwxrwx"


def test_ls_line_cuts_names_and_right_aligns_size() -> None:
    line = ls_line(mode=stat.S_IFLNK | 0o777, nlink=1, user="averylongname", group="g",
                   size=3, ctime=0, name="/a", link="/b")  # fmt: skip
    assert line.startswith("lrwxrwxrwx   1 averylon g                  3 ")
    assert line.endswith("  /a -> /b\n")
