"""Tables shared by several daemons: enum keywords, TLS items, Messages.

Facts read from the public Bareos sources (core/src/lib/tls_resource_items.h, messages_resource_items.h, dird_conf.cc, stored_conf.cc, filed_conf.cc, HEAD
eda204c31c76) and written down as data: directive name, how its value is
scanned, its default, and flags (required, aliases, deprecated, referenced
resource type).  Platform path defaults are the usual Linux package paths.
"""

from __future__ import annotations

from bareosnet.config.schema import I, R
from bareosnet.config.schema import Kind as K

BOOL = K.BOOL
MSG_DEST = K.MSG_DEST
NAME = K.NAME
PATH = K.PATH
STR = K.STR
STR_LIST = K.STR_LIST

# Keywords accepted by the enumerated directive types (canonical spelling).
JOB_TYPES = ("Backup", "Admin", "Archive", "Verify", "Restore", "Migrate", "Copy", "Consolidate")
BACKUP_PROTOCOLS = ("Native", "NDMP_BAREOS", "NDMP", "NDMP_NATIVE")
AUTH_PROTOCOLS = ("Native", "NDMPV2", "NDMPV3", "NDMPV4")
AUTH_TYPES = ("None", "Clear", "MD5")
SELECTION_TYPES = (
    "SmallestVolume",
    "OldestVolume",
    "PoolOccupancy",
    "PoolTime",
    "PoolUncopiedJobs",
    "Client",
    "Volume",
    "Job",
    "SqlQuery",
)
REPLACE_OPTIONS = ("Always", "IfNewer", "IfOlder", "Never")
ACTION_ON_PURGE = ("None", "Truncate")
POOL_TYPES = ("Backup", "Copy", "Cloned", "Archive", "Migration", "Scratch")
JOB_LEVELS = (
    "Full",
    "Base",
    "Incremental",
    "Differential",
    "Since",
    "VirtualFull",
    "Catalog",
    "InitCatalog",
    "VolumeToCatalog",
    "DiskToCatalog",
    "Data",
)
IO_DIRECTIONS = ("in", "read", "readonly", "out", "write", "writeonly", "both", "readwrite")
COMPRESSION_ALGORITHMS = ("gzip", "lzo", "lzfast", "lz4", "lz4hc")
PKI_CIPHERS = (
    "blowfish",
    "3des",
    "aes128",
    "aes192",
    "aes256",
    "camellia128",
    "camellia192",
    "camellia256",
    "aes128hmacsha1",
    "aes256hmacsha1",
)
LABEL_TYPES = ("bareos", "ansi", "ibm")

# The TLS directives every TLS-capable resource has (core/src/lib/tls_resource_items.h).
# Defaults are those of Bareos >= 23; see schema.PERSONA_DEFAULTS for older ones.
TLS_ITEMS = (
    I("TlsAuthenticate", BOOL, False, dep=True),
    I("TlsEnable", BOOL, True),
    I("TlsRequire", BOOL, True),
    I("TlsCipherList", STR),
    I("TlsCipherSuites", STR),
    I("TlsDhFile", PATH),
    I("TlsProtocol", STR),
    I("TlsVerifyPeer", BOOL, False),
    I("TlsCaCertificateFile", PATH),
    I("TlsCaCertificateDir", PATH),
    I("TlsCertificateRevocationList", PATH),
    I("TlsCertificate", PATH),
    I("TlsKey", PATH),
    I("TlsAllowedCn", STR_LIST),
)

# The Messages resource is the same in every daemon (core/src/lib/messages_resource_items.h).
MESSAGES = R(
    "Messages",
    (
        I("Name", NAME),
        I("Description", STR),
        I("MailCommand", STR),
        I("OperatorCommand", STR),
        I("TimestampFormat", STR),
        I("Syslog", MSG_DEST),
        I("Mail", MSG_DEST),
        I("MailOnError", MSG_DEST),
        I("MailOnSuccess", MSG_DEST),
        I("File", MSG_DEST),
        I("Append", MSG_DEST),
        I("Stdout", MSG_DEST),
        I("Stderr", MSG_DEST),
        I("Director", MSG_DEST),
        I("Console", MSG_DEST),
        I("Operator", MSG_DEST),
        I("Catalog", MSG_DEST),
    ),
)
