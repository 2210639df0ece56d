"""Resources of the tray monitor.

Facts read from the public Bareos sources (core/src/qt-tray-monitor/tray_conf.cc, HEAD
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
PINT32 = K.PINT32
STR = K.STR
TIME = K.TIME

MONITOR = R(
    "Monitor",
    (
        I("Name", NAME, req=True),
        I("Description", STR),
        I("Password", MD5_PASSWORD, req=True),
        I("RefreshInterval", TIME, 60),
        I("FdConnectTimeout", TIME, 10),
        I("SdConnectTimeout", TIME, 10),
        I("DirConnectTimeout", TIME, 10),
        *TLS_ITEMS,
    ),
)

DIRECTOR = R(
    "Director",
    (
        I("Name", NAME, req=True),
        I("Description", STR),
        I("Port", PINT32, 9101, alias=("DirPort",)),
        I("Address", STR, req=True),
        *TLS_ITEMS,
    ),
)

CLIENT = R(
    "Client",
    (
        I("Name", NAME, req=True),
        I("Description", STR),
        I("Address", STR, req=True),
        I("Port", PINT32, 9102, alias=("FdPort",)),
        I("Password", MD5_PASSWORD, req=True),
        *TLS_ITEMS,
    ),
)

STORAGE = R(
    "Storage",
    (
        I("Name", NAME, req=True),
        I("Description", STR),
        I("Port", PINT32, 9103, alias=("SdPort",)),
        I("Address", STR, req=True, alias=("SdAddress",)),
        I("Password", MD5_PASSWORD, req=True, alias=("SdPassword",)),
        *TLS_ITEMS,
    ),
)

CONSOLEFONT = R(
    "ConsoleFont",
    (
        I("Name", NAME, req=True),
        I("Description", STR),
        I("Font", STR),
    ),
)

TRAYMONITOR_SCHEMA = DaemonSchema(
    "tray-monitor",
    "tray-monitor.conf",
    "tray-monitor.d",
    "Monitor",
    (
        MONITOR,
        DIRECTOR,
        CLIENT,
        STORAGE,
        CONSOLEFONT,
    ),
)
