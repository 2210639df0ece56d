"""Resources of bconsole.

Facts read from the public Bareos sources (core/src/console/console_conf.cc, HEAD
eda204c31c76) and written down as data: directive name, how its value is
scanned, its default, and flags (required, aliases, deprecated, referenced
resource type).  Platform path defaults are the usual Linux package paths.
"""

from __future__ import annotations

from bareosnet.config.schema import DaemonSchema, I, R
from bareosnet.config.schema import Kind as K
from bareosnet.config.tables.common import TLS_ITEMS

MD5_PASSWORD = K.MD5_PASSWORD
NAME = K.NAME
PATH = K.PATH
PINT32 = K.PINT32
STR = K.STR
TIME = K.TIME

CONSOLE = R(
    "Console",
    (
        I("Name", NAME, req=True),
        I("Description", STR),
        I("RcFile", PATH),
        I("HistoryFile", PATH),
        I("HistoryLength", PINT32, 100),
        I("Password", MD5_PASSWORD, req=True),
        I("Director", STR),
        I("HeartbeatInterval", TIME, 0),
        *TLS_ITEMS,
    ),
)

DIRECTOR = R(
    "Director",
    (
        I("Name", NAME, req=True),
        I("Description", STR),
        I("Port", PINT32, 9101, alias=("DirPort",)),
        I("Address", STR, req=True, alias=("DirAddress",)),
        I("Password", MD5_PASSWORD),
        I("HeartbeatInterval", TIME, 0),
        *TLS_ITEMS,
    ),
)

CONSOLE_SCHEMA = DaemonSchema(
    "console",
    "bconsole.conf",
    "bconsole.d",
    "Director",
    (
        CONSOLE,
        DIRECTOR,
    ),
)
