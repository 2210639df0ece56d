"""show_resource renders like the Director's "show client=..." reply."""

from __future__ import annotations

from bareosnet.config import parse_string, show_resource

# The reply of a real Bareos 26 Director to "show client=bareos-fd"
# (reference transcript stream00-to-director.txt), two packets joined.
SHOWN = (
    "Client {\n"
    '  Name = "bareos-fd"\n'
    '  Address = "127.0.0.1"\n'
    "  Port = 19102\n"
    '  Password = "[md5]5cff3092f076e9601bf76e056419571e"\n'
    '  Catalog = "MyCatalog"\n'
    "  TlsEnable = No\n"
    "  TlsRequire = No\n"
    "}\n\n"
)


def test_show_client_like_the_director() -> None:
    cfg = parse_string(
        """\
Catalog { Name = MyCatalog; DB Name = bareos; DB User = bareos }
Client {
  Name = bareos-fd
  TLS Require = no
  tls enable = no
  Password = "[md5]5cff3092f076e9601bf76e056419571e"
  Catalog = MyCatalog
  FD Port = 19102
  Address = 127.0.0.1
  Maximum Concurrent Jobs = 1   # equal to the default: not shown
}
"""
    )
    client = cfg.get("client", "bareos-fd")
    assert client is not None
    assert show_resource(client) == SHOWN


def test_show_values_of_other_types() -> None:
    cfg = parse_string(
        """\
Pool {
  Name = Full
  Volume Retention = 1 day 2 hours
  Maximum Volume Bytes = 1536 m
  Storage = a, b
  Pool Type = Backup
  Recycle = no
}
Storage { Name = a; Address = x; Password = p; Device = d; Media Type = File }
Storage { Name = b; Address = y; Password = p; Device = d; Media Type = File }
"""
    )
    pool = cfg.get("pool", "Full")
    assert pool is not None
    assert show_resource(pool) == (
        "Pool {\n"
        '  Name = "Full"\n'
        "  MaximumVolumeBytes = 1 g 512 m\n"
        "  VolumeRetention = 1 days 2 hours \n"
        '  Storage = "a"\n'
        '  Storage = "b"\n'
        "  Recycle = No\n"
        "}\n\n"
    )


def test_show_own_listen_address_as_addresses_block() -> None:
    cfg = parse_string(
        'Director {\n  Name = bareos-dir\n  DirAddress = 127.0.0.1\n  Password = "p"\n}\n'
    )
    assert show_resource(cfg.own()) == (
        "Director {\n"
        '  Name = "bareos-dir"\n'
        "  Addresses = {\n"
        "    ipv4 = {\n"
        "      addr = 127.0.0.1\n"
        "      port = 9101\n"
        "    }\n"
        "  }\n"
        '  Password = "[md5]83878c91171338902e0fe0fb97a8c47a"\n'
        "}\n\n"
    )
