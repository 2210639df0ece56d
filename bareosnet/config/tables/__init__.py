"""Per-daemon configuration schemas, keyed by the daemon names load_config takes."""

from __future__ import annotations

from types import MappingProxyType

from bareosnet.config.schema import DaemonSchema
from bareosnet.config.tables.console import CONSOLE_SCHEMA
from bareosnet.config.tables.director import DIRECTOR_SCHEMA
from bareosnet.config.tables.filedaemon import FILEDAEMON_SCHEMA
from bareosnet.config.tables.storage import STORAGE_SCHEMA
from bareosnet.config.tables.traymonitor import TRAYMONITOR_SCHEMA

SCHEMAS: MappingProxyType[str, DaemonSchema] = MappingProxyType(
    {
        "dir": DIRECTOR_SCHEMA,
        "sd": STORAGE_SCHEMA,
        "fd": FILEDAEMON_SCHEMA,
        "console": CONSOLE_SCHEMA,
        "tray-monitor": TRAYMONITOR_SCHEMA,
    }
)
DAEMONS = tuple(SCHEMAS)
