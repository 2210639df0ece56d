"""show_resource renders like the Director's "show client=..." reply."""

from __future__ import annotations

from typing import Any

from bareosnet.config import parse_string, show_resource
from bareosnet.config.show import (
    HIDDEN_PASSWORD,
    render,
    show_resource_json,
    user_agent_console,
)

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


# -- verbose and JSON (the shapes of Bareos's resource output formatter) ---------------

LAB = """\
Director {
  Name = dir
  Password = secret
  DirPort = 9101
}
Catalog {
  Name = MyCatalog
  DB Name = bareos
  DB User = bareos
}
Storage {
  Name = File
  Address = localhost
  Password = p
  Device = FileStorage
  Media Type = File
}
Pool {
  Name = Full
  Label Format = "Full-"
  Maximum Volumes = 200
  Volume Retention = 2 years
}
Client {
  Name = min-fd
  Address = localhost
  Password = p
  Catalog = MyCatalog
  Port = 19102
}
FileSet {
  Name = SelfTest
  Description = "self test"
  Include {
    Options {
      Signature = MD5
      Compression = GZIP3
      Wild = "*.c"
      Wild = "*.h"
    }
    File = /usr/sbin
    File = "/tmp/a(b)"
  }
  Exclude {
    File = /proc
  }
}
Schedule {
  Name = Weekly
  Run = Full 1st sat at 21:00
  Run = Level=Differential 2nd-5th sat at 21:00
  Run = Incremental Pool=Full mon-fri at 9:30pm
}
JobDefs {
  Name = DefaultJob
  Type = Backup
  Level = Incremental
  Messages = Standard
  Storage = File
  Pool = Full
  Client = min-fd
  FileSet = SelfTest
  Schedule = Weekly
  Run Before Job = "/tmp/before.sh"
}
Job {
  Name = nightly
  JobDefs = DefaultJob
  Priority = 11
  RunScript {
    Command = "/tmp/x.sh"
    Runs When = Before
    Fail Job On Error = No
  }
}
Messages {
  Name = Standard
  console = all, !skipped
}
Profile {
  Name = operator
  Job ACL = *all*
  Command ACL = status, .status
}
User {
  Name = u
  Profile = operator
}
Console {
  Name = c
  Password = secret
  Profile = operator
}
"""

# What a real Director prints for this client with "show client=min-fd verbose": every
# default as a comment, deprecated directives (FileRetention, AutoPrune ...) left out.
CLIENT_VERBOSE = """\
Client {
  Name = "min-fd"
  # Description =\x20
  # Protocol = Native
  # AuthType = None
  Address = "localhost"
  # LanAddress =\x20
  Port = 19102
  # Username =\x20
  Password = "[md5]83878c91171338902e0fe0fb97a8c47a"
  Catalog = "MyCatalog"
  # Passive = No
  # ConnectionFromDirectorToClient = Yes
  # ConnectionFromClientToDirector = No
  # Enabled = Yes
  # HardQuota = 0
  # SoftQuota = 0
  # SoftQuotaGracePeriod = 0
  # StrictQuotas = No
  # QuotaIncludeFailedJobs = Yes
  # HeartbeatInterval = 0
  # MaximumConcurrentJobs = 1
  # MaximumBandwidthPerJob = 0
  # NdmpLogLevel = 4
  # NdmpBlockSize = 63 k
  # NdmpUseLmdb = Yes
  # TlsEnable = Yes
  # TlsRequire = Yes
  # TlsCipherList = ""
  # TlsCipherSuites = ""
  # TlsDhFile = ""
  # TlsProtocol = ""
  # TlsVerifyPeer = No
  # TlsCaCertificateFile = ""
  # TlsCaCertificateDir = ""
  # TlsCertificateRevocationList = ""
  # TlsCertificate = ""
  # TlsKey = ""
  # TlsAllowedCn =\x20
}

"""


def _lab() -> Any:
    return parse_string(LAB)


def _get(cfg: Any, rtype: str, name: str) -> Any:
    res = cfg.get(rtype, name)
    assert res is not None
    return res


def test_verbose_text_lists_defaults_as_comments() -> None:
    client = _get(_lab(), "client", "min-fd")
    assert show_resource(client, verbose=True) == CLIENT_VERBOSE
    assert show_resource(client) == (
        'Client {\n  Name = "min-fd"\n  Address = "localhost"\n  Port = 19102\n'
        '  Password = "[md5]83878c91171338902e0fe0fb97a8c47a"\n  Catalog = "MyCatalog"\n}\n\n'
    )


def test_json_types_values_as_bareos_does() -> None:
    client = _get(_lab(), "client", "min-fd")
    assert show_resource_json(client) == {
        "name": "min-fd", "address": "localhost", "port": 19102,
        "password": "[md5]83878c91171338902e0fe0fb97a8c47a", "catalog": "MyCatalog",
    }  # fmt: skip
    full = show_resource_json(client, verbose=True)
    assert list(full)[:4] == ["name", "description", "protocol", "authtype"]
    assert full["description"] == "" and full["lanaddress"] == "" and full["passive"] is False
    assert full["maximumconcurrentjobs"] == 1 and full["maximumbandwidthperjob"] == 0
    assert full["softquotagraceperiod"] == "0" and full["ndmpblocksize"] == "63 k"
    assert full["tlsallowedcn"] == [] and full["tlscipherlist"] == ""
    assert "fileretention" not in full and "autoprune" not in full
    hidden = show_resource_json(client, hide_passwords=True)
    assert hidden["password"] == HIDDEN_PASSWORD


def test_acls_and_resource_lists_are_arrays() -> None:
    cfg = _lab()
    assert show_resource_json(_get(cfg, "profile", "operator")) == {
        "name": "operator", "jobacl": ["*all*"], "commandacl": ["status", ".status"]}  # fmt: skip
    assert show_resource(_get(cfg, "profile", "operator")) == (
        'Profile {\n  Name = "operator"\n  JobAcl = "*all*"\n'
        '  CommandAcl = "status", ".status"\n}\n\n'
    )
    user = show_resource_json(_get(cfg, "user", "u"), verbose=True)
    assert user["profile"] == ["operator"] and user["clientacl"] == [], user
    console = show_resource_json(_get(cfg, "console", "c"), verbose=True)
    assert console["profile"] == ["operator"] and console["usepamauthentication"] is False
    pool = show_resource_json(_get(cfg, "pool", "Full"), verbose=True)
    assert pool["storage"] == [] and pool["volumeretention"] == "2 years "
    assert pool["maximumvolumes"] == 200 and pool["labeltype"] == "bareos"
    assert pool["pooltype"] == "Backup" and pool["nextpool"] == ""


def test_job_shows_what_its_jobdefs_gave_only_with_verbose() -> None:
    job = _get(_lab(), "job", "nightly")
    assert show_resource(job) == (
        'Job {\n  Name = "nightly"\n  JobDefs = "DefaultJob"\n  Priority = 11\n'
        '  RunScript {\n    Command = "/tmp/x.sh"\n    RunsWhen = "before"\n'
        "    FailJobOnError = No\n  }\n}\n\n"
    )
    text = show_resource(job, verbose=True)
    assert '  # Client = "min-fd"\n  # FileSet = "SelfTest"\n' in text, text
    assert "  # Level = Incremental\n" in text and "  # Priority = 10" not in text, text
    assert '  # RunBeforeJob = "/tmp/before.sh"\n' in text, text
    assert "    # RunsOnSuccess = Yes\n" in text and "SelectionType" not in text, text
    shown = show_resource_json(job, verbose=True)
    assert shown["client"] == "min-fd" and shown["storage"] == ["File"], shown
    assert shown["level"] == "Incremental" and shown["priority"] == 11, shown
    assert shown["runscript"] == [
        {"command": "/tmp/x.sh", "runswhen": "before", "failjobonerror": False,
         "runsonsuccess": True, "runsonfailure": False, "runsonclient": True},
        {"runbeforejob": "/tmp/before.sh"},
    ]  # fmt: skip


def test_fileset_blocks_and_options() -> None:
    fs = _get(_lab(), "fileset", "SelfTest")
    assert show_resource_json(fs, verbose=True) == {
        "name": "SelfTest", "description": "self test",
        "include": [{
            "options": [{"signature": "MD5", "compression": "GZIP3", "hardlinks": False,
                         "aclsupport": True, "xattrsupport": True, "wild": ["*.c", "*.h"]}],
            "file": ["/usr/sbin", "/tmp/a(b)"]}],
        "exclude": [{"file": ["/proc"]}],
    }  # fmt: skip
    text = show_resource(fs)
    assert text.startswith('FileSet {\n  Name = "SelfTest"\n  Description = "self test"\n')
    assert '      Compression = "GZIP3"\n      HardLinks = No\n' in text, text
    assert '    File = "/tmp/a\\(b\\)"\n' in text and "  Exclude {\n" in text, text


def test_schedule_run_lines_rebuilt_from_their_mask() -> None:
    from daemons.director.jobs.run_text import run_config_text

    sched = _get(_lab(), "schedule", "Weekly")
    shown = show_resource_json(sched, verbose=True, run_text=run_config_text)
    assert shown == {"name": "Weekly", "description": "", "enabled": True, "run": [
        "Full 1st Sat at 21:00", "Differential 2nd-5th Sat at 21:00",
        'pool="Full" Incremental Mon-Fri at 21:30']}  # fmt: skip
    text = show_resource(sched, run_text=run_config_text)
    assert "  Run = Full 1st Sat at 21:00\n" in text, text


def test_director_addresses_and_the_user_agent_console() -> None:
    cfg = _lab()
    # Only a port written: Bareos's default list, IPv4 and IPv6 "any", always printed.
    director = show_resource_json(cfg.own())
    assert director["addresses"] == [{"ipv4": {"addr": "0.0.0.0", "port": 9101}},
                                     {"ipv6": {"addr": "::", "port": 9101}}]  # fmt: skip
    assert "messages" not in director  # not written: only with verbose
    implied = render(cfg.own(), verbose=True, implied={"Messages": "Standard"})
    assert '  # Messages = "Standard"\n' in implied.text and implied.json["messages"] == "Standard"
    spec = cfg.schema.resource("Console")
    agent = render(user_agent_console(cfg.own(), spec), verbose=True, internal=True)
    assert agent.text.startswith('# Console {\n  # Name = "*UserAgent*"\n'), agent.text
    assert agent.text.endswith("  # TlsAllowedCn = \n# }\n\n"), agent.text
    assert agent.json["password"] == "[md5]5ebe2294ecd0e0f08eab7690d2a6ee69"
    assert agent.json["tlsrequire"] is False and agent.json["commandacl"] == []


def test_unwritten_directives_show_only_with_verbose() -> None:
    cfg = parse_string(
        "Catalog { Name = MyCatalog; DB Name = bareos; DB User = bareos }\n"
        "Client {\n  Name = c\n  Address = h\n  Password = p\n  Maximum Concurrent Jobs = 1\n}\n"
    )
    client = _get(cfg, "client", "c")
    plain = show_resource(client, implied={"Catalog": "MyCatalog"})
    # Written with its default value: not shown; the Catalog the Director filled in neither.
    assert "MaximumConcurrentJobs" not in plain and "Catalog" not in plain, plain
    text = show_resource(client, verbose=True, implied={"Catalog": "MyCatalog"})
    assert '  # Catalog = "MyCatalog"\n' in text and "  # MaximumConcurrentJobs = 1\n" in text
    assert show_resource_json(client, verbose=True)["catalog"] == ""  # none filled in


def test_messages_destinations_as_objects() -> None:
    cfg = parse_string(
        "Messages {\n  Name = Standard\n"
        '  Mail Command = "bsmtp -f \\"(Bareos)\\" %r"\n'
        "  mail = root@localhost = all, !skipped, !saved\n"
        "  console = all, !skipped\n}\n"
    )
    msgs = _get(cfg, "messages", "Standard")
    assert show_resource_json(msgs) == {
        "name": "Standard", "mailcommand": 'bsmtp -f \\"\\(Bareos\\)\\" %r',
        "mail": {"where": "root@localhost", "what": "all,!saved,!skipped"},
        "console": {"what": "all,!skipped"}}  # fmt: skip
    assert show_resource(msgs) == (
        'Messages {\n  Name = "Standard"\n  MailCommand = "bsmtp -f \\"\\(Bareos\\)\\" %r"\n'
        "  mail = root@localhost = all,!saved,!skipped\n  console = all,!skipped\n}\n\n"
    )
    verbose = show_resource_json(msgs, verbose=True)
    assert verbose["console"]["what"].endswith(",audit,!skipped"), verbose


def test_verbose_catalog_shows_its_deprecated_bit_item() -> None:
    # MultipleConnections is stored as a bit, which Bareos's default check does not know.
    cfg = parse_string("Catalog { Name = MyCatalog; DB Name = bareos; DB User = bareos }\n")
    catalog = _get(cfg, "catalog", "MyCatalog")
    text = show_resource(catalog, verbose=True)
    assert "  # MultipleConnections = No\n" in text and "DisableBatchInsert" not in text, text
    assert "MultipleConnections" not in show_resource(catalog)


def test_write_bootstrap_command_is_escaped() -> None:
    cfg = parse_string(
        "Messages { Name = Standard }\nPool { Name = Full }\n"
        "JobDefs {\n  Name = j\n  Type = Admin\n  Messages = Standard\n  Pool = Full\n"
        '  Write Bootstrap = "|/usr/bin/bsmtp -f \\"(Bareos) \\" root"\n}\n'
    )
    job = _get(cfg, "jobdefs", "j")
    assert '  WriteBootstrap = "|/usr/bin/bsmtp -f \\"\\(Bareos\\) \\" root"\n' in show_resource(
        job
    )
    assert (
        show_resource_json(job)["writebootstrap"] == '|/usr/bin/bsmtp -f \\"\\(Bareos\\) \\" root'
    )


def test_run_scripts_of_every_form_in_file_order() -> None:
    cfg = parse_string(
        "Messages { Name = Standard }\nPool { Name = Full }\n"
        "JobDefs {\n  Name = j\n  Type = Admin\n  Messages = Standard\n  Pool = Full\n"
        '  Run After Job = "/a1"\n'
        '  RunScript {\n    Command = "/s2"\n    Runs When = After\n  }\n'
        '  Run Before Job = "/b3"\n}\n'
    )
    scripts = show_resource_json(_get(cfg, "jobdefs", "j"))["runscript"]
    assert scripts == [{"runafterjob": "/a1"}, {"command": "/s2", "runswhen": "after"},
                       {"runbeforejob": "/b3"}]  # fmt: skip


def test_text_packets_end_where_bareos_sends_them() -> None:
    fs = render(_get(_lab(), "fileset", "SelfTest"))
    # The formatter sends at the end of each nested block, then the rest, then "}".
    assert [x.rstrip("\n").splitlines()[-1] for x in fs.packets] == ["    }", "  }", "  }", "}"]
    assert fs.packets[-1] == "}\n\n" and "".join(fs.packets) == fs.text


def test_messages_destinations_in_file_order_and_merged() -> None:
    cfg = parse_string(
        "Messages {\n  Name = M\n  console = all\n  append = /tmp/log = error\n"
        "  console = !skipped, !saved\n}\n"
    )
    text = show_resource(_get(cfg, "messages", "M"))
    assert text == (
        'Messages {\n  Name = "M"\n  console = all,!saved,!skipped\n'
        "  append = /tmp/log = error\n}\n\n"
    ), text


def test_resource_parsed_after_start_shows_unset_references() -> None:
    job = _get(_lab(), "job", "nightly")
    text = render(job, marked=False).text
    # Not marked: the unset pools print (a reference is never "at its default"), the
    # defaults do not, and what the JobDefs gave stays a verbose-only comment.
    assert '  NextPool = ""\n' in text and "Description" not in text, text
    assert "Client" not in text and "Priority = 11" in text, text
