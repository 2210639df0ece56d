"""Resources of the File daemon (bareos-fd).

Facts read from the public Bareos sources (core/src/filed/filed_conf.cc, HEAD
eda204c31c76) and written down as data: directive name, how its value is
scanned, its default, and flags (required, aliases, deprecated, referenced
resource type).  Platform path defaults are the usual Linux package paths.
"""

from __future__ import annotations

from bareosnet.config.schema import DaemonSchema, I, R
from bareosnet.config.schema import Kind as K
from bareosnet.config.tables.common import MESSAGES, PKI_CIPHERS, TLS_ITEMS

ADDRESS = K.ADDRESS
ADDRESSES = K.ADDRESSES
BOOL = K.BOOL
ENUM = K.ENUM
MD5_PASSWORD = K.MD5_PASSWORD
NAME = K.NAME
PATH = K.PATH
PATH_LIST = K.PATH_LIST
PINT32 = K.PINT32
PLUGIN_NAMES = K.PLUGIN_NAMES
PORT = K.PORT
RES = K.RES
SPEED = K.SPEED
STR = K.STR
STR_LIST = K.STR_LIST
TIME = K.TIME

DIRECTOR = R(
    "Director",
    (
        I("Name", NAME, req=True),
        I("Description", STR),
        I("Password", MD5_PASSWORD, req=True),
        I("Address", STR),
        I("Port", PINT32, 9101),
        I("ConnectionFromDirectorToClient", BOOL, True),
        I("ConnectionFromClientToDirector", BOOL, False),
        I("Monitor", BOOL, False),
        I("MaximumBandwidthPerJob", SPEED, 0),
        I("AllowedScriptDir", PATH_LIST),
        I("AllowedJobCommand", STR_LIST),
        *TLS_ITEMS,
    ),
)

CLIENT = R(
    "Client",
    (
        I("Name", NAME, req=True),
        I("Description", STR),
        I("Port", PORT, 9102, alias=("FdPort",)),
        I("Address", ADDRESS, alias=("FdAddress",)),
        I("Addresses", ADDRESSES, alias=("FdAddresses",)),
        I("SourceAddress", ADDRESS, alias=("FdSourceAddress",)),
        I("WorkingDirectory", PATH, "/var/lib/bareos"),
        I("PluginDirectory", PATH),
        I("PluginNames", PLUGIN_NAMES),
        I("ScriptsDirectory", PATH, "/usr/lib/bareos/scripts"),
        I("MaximumConcurrentJobs", PINT32, 1000, dep=True),
        I("MaximumWorkersPerJob", PINT32, 2),
        I("Messages", RES, ref="Messages"),
        I("SdConnectTimeout", TIME, 1800),
        I("HeartbeatInterval", TIME, 0),
        I("MaximumNetworkBufferSize", PINT32, 0),
        I("PkiSignatures", BOOL, False),
        I("PkiEncryption", BOOL, False),
        I("PkiKeyPair", PATH),
        I("PkiSigner", PATH_LIST),
        I("PkiMasterKey", PATH_LIST),
        I("PkiCipher", ENUM, "aes128", choices=PKI_CIPHERS),
        I("VerId", STR),
        I("MaximumBandwidthPerJob", SPEED, 0),
        I("AllowBandwidthBursting", BOOL, False),
        I("AllowedScriptDir", PATH_LIST),
        I("AllowedJobCommand", STR_LIST),
        I("AbsoluteJobTimeout", PINT32, 0),
        I("AlwaysUseLmdb", BOOL, False, dep=True),
        I("LmdbThreshold", PINT32, 0),
        I("SecureEraseCommand", STR),
        I("LogTimestampFormat", STR, "%d-%b %H:%M"),
        I("GrpcModule", STR, "bareos-grpc-fd-plugin-bridge"),
        I("EnableKtls", BOOL, False),
        *TLS_ITEMS,
    ),
    alias=("FileDaemon",),
)

FILEDAEMON_SCHEMA = DaemonSchema(
    "fd",
    "bareos-fd.conf",
    "bareos-fd.d",
    "Client",
    (
        DIRECTOR,
        CLIENT,
        MESSAGES,
    ),
)
