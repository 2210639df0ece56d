"""Resources, directives, typed values, errors with file:line, personas."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from bareosnet.config import IncludeExclude, MessageDestination, Password, parse_string
from bareosnet.errors import ConfigError
from bareosnet.tls.settings import TlsSettings

CLIENT = """\
Client {
  Name = bareos-fd
  Address = 127.0.0.1
  Password = "secret"
}
"""


def md5(s: str) -> str:
    return hashlib.md5(s.encode()).hexdigest()


def test_names_are_case_and_space_insensitive_and_aliases_work() -> None:
    cfg = parse_string(
        "client {\n name = c1\n fd address = 10.0.0.1\n FDPORT = 19102\n"
        " PASSWORD = p\n maximum concurrent jobs = 7\n}\n",
        daemon="dir",
    )
    c = cfg.get("CLIENT", "c1")
    assert c is not None and c.type == "Client"
    assert c["Address"] == "10.0.0.1"
    assert c.get("fdaddress") == "10.0.0.1"
    assert c["Port"] == 19102
    assert c["Maximum Concurrent Jobs"] == 7
    assert c.is_set("MaximumConcurrentJobs")
    assert cfg.all("cl ient") == [c]


def test_defaults_are_typed() -> None:
    c = parse_string(CLIENT).get("client", "bareos-fd")
    assert c is not None
    assert c["Port"] == 9102
    assert c["Maximum Concurrent Jobs"] == 1
    assert c["Heartbeat Interval"] == 0
    assert c["Passive"] is False
    assert c["Connection From Director To Client"] is True
    assert c["Protocol"] == "Native"
    assert c["Description"] is None
    assert c.get("Description", default="none") == "none"
    assert c["TLS Allowed CN"] == ()
    assert not c.is_set("Port")
    with pytest.raises(KeyError):
        c.get("NoSuchDirective")


def test_typed_values() -> None:
    cfg = parse_string(
        """\
Pool {
  Name = Full
  Volume Retention = 1 min 30 sec
  Maximum Volume Bytes = 1 g
  Maximum Block Size = 64k
  Recycle = no
  Label Format = "Full-"
  Action On Purge = Truncate
  Pool Type = backup
}
Client { Name = c; Address = h; Password = p; Maximum Bandwidth Per Job = 1 mb/s; Soft Quota = 10 kb }
""",
        daemon="dir",
    )
    pool = cfg.get("pool", "Full")
    assert pool is not None
    assert pool["Volume Retention"] == 90
    assert pool["Maximum Volume Bytes"] == 1024**3
    assert pool["Maximum Block Size"] == 64 * 1024
    assert pool["Recycle"] is False
    assert pool["Label Format"] == "Full-"
    assert pool["Action On Purge"] == ("Truncate",)
    assert pool["Pool Type"] == "Backup"  # canonical spelling
    client = cfg.get("client", "c")
    assert client is not None
    assert client["Maximum Bandwidth Per Job"] == 1_000_000
    assert client["Soft Quota"] == 10_000


def test_quoted_duration_is_refused_like_bareos() -> None:
    with pytest.raises(ConfigError, match=r"^x.conf:1: expected a time period"):
        parse_string('Pool { Name = P; Volume Retention = "30 days" }\n', filename="x.conf")


def test_unknown_directive_names_file_line_and_directive() -> None:
    text = CLIENT.replace("  Password", "  Frobnicate Level = 3\n  Password")
    with pytest.raises(
        ConfigError, match=r'^c.conf:4: unknown directive "FrobnicateLevel" in Client'
    ) as ei:
        parse_string(text, filename="c.conf")
    assert ei.value.file == "c.conf" and ei.value.line == 4


def test_unknown_resource_type() -> None:
    with pytest.raises(ConfigError, match=r'^d.conf:2: unknown resource type "Clinet"'):
        parse_string("\nClinet {\n Name = x\n}\n", filename="d.conf")
    # an sd has no Client resources
    with pytest.raises(ConfigError, match='unknown resource type "Client"'):
        parse_string(CLIENT, daemon="sd")


def test_missing_required_directive_points_at_the_resource() -> None:
    text = "# header\n\nClient {\n  Name = c\n  Address = 127.0.0.1\n}\n"
    with pytest.raises(
        ConfigError, match=r'^m.conf:3: "Password" directive in Client "c" resource is required'
    ):
        parse_string(text, filename="m.conf")
    with pytest.raises(ConfigError, match="Address"):
        parse_string('Client { Name = c; Password = "x" }\n')


def test_duplicate_resource_is_an_error() -> None:
    with pytest.raises(
        ConfigError,
        match=r'^dup.conf:6: Attempt to define second Client resource named "bareos-fd"',
    ):
        parse_string(CLIENT + CLIENT, filename="dup.conf")
    # same name, different type is fine
    cfg = parse_string(
        CLIENT
        + "Storage { Name = bareos-fd; Address = x; Password = y; Device = d; Media Type = File }\n"
    )
    assert len(cfg.resources) == 2


def test_unclosed_resource() -> None:
    with pytest.raises(ConfigError, match="unclosed resource"):
        parse_string("Client {\n  Name = c\n")


def test_name_rules() -> None:
    with pytest.raises(ConfigError, match="Illegal character"):
        parse_string('Client { Name = "a*b"; Address = x; Password = y }\n')
    with pytest.raises(ConfigError, match="too long"):
        parse_string('Client { Name = "' + "n" * 128 + '"; Address = x; Password = y }\n')
    with pytest.raises(ConfigError, match="Name not specified"):
        parse_string("Messages {\n  console = all\n}\n")


# -- passwords ---------------------------------------------------------------------------


def test_password_cleartext_is_stored_as_md5hex() -> None:
    c = parse_string(CLIENT).get("client", "bareos-fd")
    assert c is not None
    assert c.password == Password(md5("secret"))
    assert c.password is not None and c.password.key == b"5ebe2294ecd0e0f08eab7690d2a6ee69"
    assert "5ebe" not in repr(c.password) and "secret" not in repr(c.password)


def test_password_md5_form_is_verbatim() -> None:
    hexed = "5EBE2294ECD0E0F08EAB7690D2A6EE69"  # Bareos keeps the case as written
    c = parse_string(CLIENT.replace('"secret"', f'"[md5]{hexed}"')).get("client", "bareos-fd")
    assert c is not None and c.password is not None
    assert c.password.md5hex == hexed
    assert c.password.key == hexed.encode()
    assert Password.from_config_value(f"[md5]{md5('x')}") == Password.from_cleartext("x")


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("[md5]0123456789abcdef", "right size"),
        ("[md5]zz23456789abcdef0123456789abcdef", "non hexadecimal"),
        ("[md5]" + md5(""), "Empty Password"),
        ("", "Empty Password"),
    ],
)
def test_bad_passwords_are_refused_without_showing_them(value: str, why: str) -> None:
    text = CLIENT.replace('"secret"', f'"{value}"')
    with pytest.raises(ConfigError, match=why) as ei:
        parse_string(text, filename="p.conf")
    msg = str(ei.value)
    assert msg.startswith("p.conf:4:")
    if value:
        assert value not in msg and value[5:] not in msg


def test_unterminated_password_error_does_not_leak() -> None:
    text = 'Client {\n  Name = c\n  Address = a\n  Password = "hunter2-secret\n}\n'
    with pytest.raises(ConfigError) as ei:
        parse_string(text)
    assert "hunter2" not in str(ei.value)


def test_clear_passwords_where_bareos_keeps_them() -> None:
    cfg = parse_string(
        'Catalog { Name = MyCatalog; DB Name = bareos; DB User = bareos; DB Password = "dbpw" }\n'
        'Client { Name = ndmp; Protocol = NDMPV4; Address = filer; Password = "ndmp-pw" }\n'
    )
    cat = cfg.get("catalog", "MyCatalog")
    assert cat is not None and cat.password is not None
    assert cat.password.encoding == "clear" and cat.password.cleartext == "dbpw"
    ndmp = cfg.get("client", "ndmp")
    assert ndmp is not None and ndmp.password is not None and ndmp.password.encoding == "clear"
    with pytest.raises(ConfigError, match="protocol is not known"):
        parse_string('Client { Name = n; Address = f; Password = "x"; Protocol = NDMPV4 }\n')


# -- booleans, warnings ---------------------------------------------------------------------


def test_deprecated_booleans_warn() -> None:
    cfg = parse_string(
        CLIENT.replace("}", '  Passive = true\n  Enabled = "0"\n}'), filename="b.conf"
    )
    c = cfg.get("client", "bareos-fd")
    assert c is not None and c["Passive"] is True and c["Enabled"] is False
    assert len(cfg.warnings) == 2
    assert cfg.warnings[0].startswith("b.conf:5: ") and "deprecated" in cfg.warnings[0]
    with pytest.raises(ConfigError, match="Expect YES or NO, got: maybe"):
        parse_string(CLIENT.replace("}", "  Passive = maybe\n}"))
    # An unquoted 0/1 is a number token, which Bareos's scanner refuses where it
    # expects a name (StoreBool asks for BCT_NAME) - only "0"/"1" reach the check.
    with pytest.raises(ConfigError, match="expected a name, got number: 1"):
        parse_string(CLIENT.replace("}", "  Passive = 1\n}"))


def test_deprecated_directive_and_resource_alias_warn() -> None:
    cfg = parse_string(CLIENT.replace("}", "  Auto Prune = yes\n}"))
    assert any("deprecated keyword AutoPrune" in w for w in cfg.warnings)
    fd = parse_string("FileDaemon {\n  Name = fd\n}\n", daemon="fd")
    assert fd.own().type == "Client"
    assert any('alias usage "FileDaemon"' in w for w in fd.warnings)


# -- TLS and personas -----------------------------------------------------------------------


def test_tls_defaults_per_persona() -> None:
    for persona, enable, require, verify in [
        ("26", True, True, False),
        ("25", True, True, False),
        ("18.2", True, False, False),
        ("17.2", False, False, True),
    ]:
        c = parse_string(CLIENT, persona=persona).get("client", "bareos-fd")
        assert c is not None
        assert (c["TLS Enable"], c["TLS Require"], c["TLS Verify Peer"]) == (
            enable,
            require,
            verify,
        )
        assert c.tls.enable is enable and c.tls.require is require
    explicit = parse_string(CLIENT.replace("}", "  TLS Require = yes\n}"), persona="18.2")
    c = explicit.get("client", "bareos-fd")
    assert c is not None and c.tls.require is True


def test_every_tls_directive() -> None:
    text = CLIENT.replace(
        "}",
        """\
  TLS Enable = yes
  TLS Require = no
  TLS Authenticate = no
  TLS Certificate = /etc/bareos/tls/fd.pem
  TLS Key = /etc/bareos/tls/fd.key
  TLS Verify Peer = yes
  TLS Allowed CN = "dir.example.com", "other.example.com"
  TLS Allowed CN = third.example.com
  TLS CA Certificate File = /etc/bareos/tls/ca.pem
  TLS CA Certificate Dir = /etc/bareos/tls/ca
  TLS Certificate Revocation List = /etc/bareos/tls/crl.pem
  TLS DH File = /etc/bareos/tls/dh.pem
  TLS Cipher List = "ECDHE-PSK-CHACHA20-POLY1305"
  TLS Cipher Suites = "TLS_CHACHA20_POLY1305_SHA256"
  TLS Protocol = "-ALL,TLSv1.3"
}""",
    )
    c = parse_string(text).get("client", "bareos-fd")
    assert c is not None
    assert c.tls == TlsSettings(
        enable=True,
        require=False,
        certificate="/etc/bareos/tls/fd.pem",
        key="/etc/bareos/tls/fd.key",
        key_passphrase=None,
        verify_peer=True,
        allowed_cns=("dir.example.com", "other.example.com", "third.example.com"),
        ca_certificate_file="/etc/bareos/tls/ca.pem",
        ca_certificate_dir="/etc/bareos/tls/ca",
        certificate_revocation_list="/etc/bareos/tls/crl.pem",
        dh_file="/etc/bareos/tls/dh.pem",
        cipher_list="ECDHE-PSK-CHACHA20-POLY1305",
        cipher_suites="TLS_CHACHA20_POLY1305_SHA256",
        protocol="-ALL,TLSv1.3",
    )
    assert c.tls.has_certificate and c.tls.policy == 1
    assert c.tls_authenticate is False


def test_enable_ktls_only_on_own_resources() -> None:
    d = parse_string("Director { Name = d; Password = p; Enable kTLS = yes }\n")
    assert d.own().enable_ktls is True
    with pytest.raises(ConfigError, match='unknown directive "EnablekTLS"'):
        parse_string(CLIENT.replace("}", "  Enable kTLS = yes\n}"))


def test_resources_without_tls() -> None:
    cfg = parse_string("Messages {\n  Name = M\n  console = all\n}\n")
    with pytest.raises(TypeError):
        _ = cfg.resources[0].tls


# -- nested blocks -----------------------------------------------------------------------------


def test_messages_destinations() -> None:
    cfg = parse_string(
        """\
Messages {
  Name = Standard
  director = bareos-dir = all, !skipped
  mail = root@localhost, ops@example.com = all, !skipped, !saved
  append = "/var/log/bareos/bareos.log" = all, !skipped
  console = all
  syslog = all
}
""",
        daemon="sd",
    )
    m = cfg.get("messages", "Standard")
    assert m is not None
    assert m["Director"] == (MessageDestination("Director", "bareos-dir", ("all", "!skipped")),)
    assert m["Mail"][0].where == "root@localhost ops@example.com"
    assert m["Append"][0] == MessageDestination(
        "Append", "/var/log/bareos/bareos.log", ("all", "!skipped")
    )
    assert m["Console"][0].types == ("all",)
    with pytest.raises(ConfigError, match="message type: bogus not found"):
        parse_string("Messages {\n  Name = M\n  console = all, bogus\n}\n")


FILESET = """\
FileSet {
  Name = "LabSet"
  Include {
    Options {
      Signature = MD5
      Compression = LZ4
      One FS = no
      Wild File = "*.tmp"
      Wild File = "*.bak"
      Exclude = yes
    }
    Options { Verify = pins5 }
    File = "/tmp/bareosnet-lab/data"
    File = /etc
    Exclude Dir Containing = .nobackup
  }
  Exclude {
    File = "/tmp/bareosnet-lab/data/cache"
  }
}
"""


def test_fileset_blocks() -> None:
    fs = parse_string(FILESET).get("fileset", "LabSet")
    assert fs is not None
    (inc,) = fs["Include"]
    assert isinstance(inc, IncludeExclude)
    assert inc.files == ("/tmp/bareosnet-lab/data", "/etc")
    assert inc.exclude_dir_containing == (".nobackup",)
    assert inc.options[0].values["Signature"] == ("MD5",)
    assert inc.options[0].values["WildFile"] == ("*.tmp", "*.bak")
    assert inc.options[0].opts == "MZf4feHAX"  # letters Bareos sends to the FD, plus defaults
    assert inc.options[1].opts == "Vpins5:HAX"
    options, files = fs.includes[0]
    assert options["OneFs"] == ("no",) and options["Verify"] == ("pins5",)
    assert files == ["/tmp/bareosnet-lab/data", "/etc"]
    assert fs.excludes == [({}, ["/tmp/bareosnet-lab/data/cache"])]
    assert [b.kind for b in fs.blocks] == ["Include", "Exclude"]


@pytest.mark.parametrize(
    ("inner", "why"),
    [
        ("Options { Signature = MD6 }", "Expected a FileSet option keyword, got: MD6"),
        ("Options { Colour = blue }", "Keyword Colour not permitted"),
        ("Frobnicate = 1", "Keyword Frobnicate not permitted"),
        ("File = C:\\data", "Backslash found"),
    ],
)
def test_fileset_errors(inner: str, why: str) -> None:
    with pytest.raises(ConfigError, match=why):
        parse_string(f"FileSet {{\n  Name = F\n  Include {{\n    {inner}\n  }}\n}}\n")
    with pytest.raises(ConfigError, match="Options section not permitted in Exclude"):
        parse_string(
            "FileSet {\n  Name = F\n  Exclude {\n    Options { Signature = MD5 }\n  }\n}\n"
        )


def test_schedule_runs() -> None:
    cfg = parse_string(
        """\
Pool { Name = Full }
Schedule {
  Name = WeeklyCycle
  Run = Full 1st sat at 21:00
  Run = Level=Incremental Pool=Full mon-fri at 9:05pm
}
""",
    )
    sch = cfg.get("schedule", "WeeklyCycle")
    assert sch is not None
    first, second = sch["Run"]
    assert dict(first.overrides) == {"Level": "Full"} and first.when == (
        "1st",
        "sat",
        "at",
        "21:00",
    )
    assert dict(second.overrides) == {"Level": "Incremental", "Pool": "Full"}
    for bad, why in [
        ("Run = Full someday at 1:00", "someday in run record not found"),
        ("Run = Full 1st sat 21:00", "preceded by keyword AT"),
        ("Run = Full daily at 25:00", "Bad time"),
        ("Run = Pool=Nope daily", 'Could not find config resource "Nope"'),
    ]:
        with pytest.raises(ConfigError, match=why):
            parse_string(f"Pool {{ Name = Full }}\nSchedule {{\n  Name = S\n  {bad}\n}}\n")


JOB_TREE = """\
Client { Name = fd; Address = 127.0.0.1; Password = "p" }
Storage { Name = sd; Address = 127.0.0.1; Password = "p"; Device = FileStorage; Media Type = File }
Pool { Name = Full }
Messages { Name = Standard; console = all }
FileSet { Name = Set; Include { File = /tmp } }
JobDefs {
  Name = DefaultJob
  Type = Backup
  Level = Incremental
  Client = fd
  FileSet = Set
  Storage = sd
  Pool = Full
  Messages = Standard
  Run Before Job = "echo before"
}
"""


def test_jobdefs_are_inherited() -> None:
    cfg = parse_string(
        JOB_TREE
        + "Job {\n  Name = j\n  JobDefs = DefaultJob\n  Level = Full\n"
        + '  RunScript {\n    Runs When = After\n    Command = "echo after"\n  }\n}\n'
    )
    job = cfg.get("job", "j")
    assert job is not None
    assert job["Level"] == "Full" and job["Type"] == "Backup" and job["Client"] == "fd"
    assert job["Storage"] == ("sd",)
    assert job.is_set("Level") and not job.is_set("Client")
    scripts = job["RunScript"]
    assert (
        scripts[0].commands == (("Command", "echo after"),)
        and scripts[0].settings["RunsWhen"] == "After"
    )
    assert job["Run Before Job"][0].commands == (("Command", "echo before"),)


def test_job_checks_after_jobdefs() -> None:
    with pytest.raises(ConfigError, match=r'^<string>:\d+: "Messages" directive in Job "j"'):
        parse_string(
            JOB_TREE
            + "Job { Name = j; Type = Backup; Storage = sd; Client = fd; FileSet = Set; Pool = Full }\n"
        )
    with pytest.raises(ConfigError, match='"fileset" directive in Job "j"'):
        parse_string(
            JOB_TREE
            + "Job { Name = j; Type = Restore; Storage = sd; Client = fd; Pool = Full; Messages = Standard }\n"
        )
    with pytest.raises(ConfigError, match="No storage specified"):
        parse_string(
            JOB_TREE
            + "Job { Name = j; Type = Backup; Client = fd; FileSet = Set; Pool = Full; Messages = Standard }\n"
        )
    # Copy jobs need neither client nor fileset
    parse_string(JOB_TREE + "Job { Name = j; Type = Copy; Pool = Full; Messages = Standard }\n")


def test_list_at_end_of_one_line_resource_swallows_the_brace() -> None:
    # Bareos's list store routines read the token after the last item, even a
    # closing brace: "Storage = sd }" leaves the resource open.  We do the same.
    with pytest.raises(ConfigError, match="unclosed resource"):
        parse_string(
            JOB_TREE
            + "Job { Name = j; Type = Copy; Pool = Full; Messages = Standard; Storage = sd }\n"
        )


def test_reference_to_missing_resource_names_the_line() -> None:
    text = JOB_TREE + "Job {\n  Name = j\n  JobDefs = DefaultJob\n  Client = nosuchclient\n}\n"
    with pytest.raises(
        ConfigError, match=r'^j.conf:20: Could not find config resource "nosuchclient"'
    ):
        parse_string(text, filename="j.conf")


def test_own_addresses_block() -> None:
    cfg = parse_string(
        """\
Client {
  Name = fd
  FD Addresses = {
    ipv4 = { addr = 127.0.0.1; port = 9102 }
    ipv6 = {
      addr = ::1
    }
  }
}
""",
        daemon="fd",
    )
    me = cfg.own()
    assert [(a.family, a.addr, a.port) for a in me["Addresses"]] == [
        ("ipv4", "127.0.0.1", 9102),
        ("ipv6", "::1", None),
    ]
    assert me.listen_addresses() == (("127.0.0.1", 9102), ("::1", 9102))
    plain = parse_string(
        "Client {\n  Name = fd\n  FD Address = 127.0.0.1\n  FD Port = 19102\n}\n", daemon="fd"
    )
    assert plain.own().listen_addresses() == (("127.0.0.1", 19102),)


def test_own_address_must_not_be_quoted_like_bareos() -> None:
    # StoreAddressesAddress accepts only unquoted words (core/src/lib/res.cc).
    with pytest.raises(ConfigError, match="Expected an IP number or a hostname"):
        parse_string('Client {\n  Name = fd\n  FD Address = "127.0.0.1"\n}\n', daemon="fd")


def test_include_inside_a_resource(tmp_path: Path) -> None:
    (tmp_path / "pw.conf").write_text('  Password = "from-include"\n')
    cfg = parse_string(f"Client {{\n  Name = c\n  Address = a\n  @{tmp_path}/pw.conf\n}}\n")
    c = cfg.get("client", "c")
    assert c is not None and c.password == Password.from_cleartext("from-include")
    assert cfg.files == ("<string>", str(tmp_path / "pw.conf"))


def test_error_in_included_file_names_that_file(tmp_path: Path) -> None:
    inc = tmp_path / "bad.conf"
    inc.write_text("# one\n  Nonsense = 1\n")
    with pytest.raises(ConfigError, match=rf'^{inc}:2: unknown directive "Nonsense"'):
        parse_string(f"Client {{\n  Name = c\n  @{inc}\n}}\n")


def test_own_resources_per_program() -> None:
    assert parse_string("Director { Name = d; Password = p }\n", daemon="dir").own().name == "d"
    sd = parse_string("Storage { Name = s }\nDirector { Name = d; Password = p }\n", daemon="sd")
    assert sd.own().type == "Storage"
    con = parse_string(
        "Director { Name = d1; Address = a }\nDirector { Name = d2; Address = b }\n"
        "Console { Name = c; Password = p }\n",
        daemon="console",
    )
    assert con.own().name == "d1"
    tray = parse_string("Monitor { Name = m; Password = p }\n", daemon="tray-monitor")
    assert tray.own().type == "Monitor"
    with pytest.raises(ConfigError, match="No Director resource"):
        parse_string("Client { Name = c; Address = a; Password = p }\n").own()
    two = "Director { Name = d1; Password = p }\nDirector { Name = d2; Password = p }\n"
    with pytest.raises(ConfigError, match=r"^two.conf:2: Only one Director resource permitted"):
        parse_string(two, filename="two.conf").own()


def test_utf8_bom_accepted_utf16_refused(tmp_path: Path) -> None:
    cfg = parse_string("\ufeff" + CLIENT)
    assert cfg.resources[0].name == "bareos-fd"
    with pytest.raises(ConfigError, match="UTF-16"):
        parse_string("\udcff\udcfeC\x00")


def test_directives_removed_in_bareos_23_need_an_old_persona() -> None:
    catalog = "Catalog {\n  Name = MyCatalog\n  dbdriver = postgresql\n  dbname = bareos\n  dbuser = bareos\n}\n"
    with pytest.raises(ConfigError, match='unknown directive "dbdriver"'):
        parse_string(catalog)
    old = parse_string(catalog, persona="18.2")
    cat = old.get("catalog", "MyCatalog")
    assert cat is not None and cat["DB Driver"] == "postgresql"
    assert any("deprecated keyword DbDriver" in w for w in old.warnings)
    fd = "Client {\n  Name = fd\n  Compatible = yes\n  Pid Directory = /run\n}\n"
    me = parse_string(fd, daemon="fd", persona="17.2").own()
    assert me["Compatible"] is True and me["PidDirectory"] == "/run"
    with pytest.raises(ConfigError, match='unknown directive "Compatible"'):
        parse_string(fd, daemon="fd", persona="26")


def test_missing_equals_after_password_hides_the_value() -> None:
    with pytest.raises(ConfigError, match="expected an equals after Password") as ei:
        parse_string('Client {\n  Name = c\n  Address = a\n  Password "s3cr3t-value"\n}\n')
    assert "s3cr3t" not in str(ei.value)
