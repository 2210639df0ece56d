"""Bareos configuration files: lexer, parser, typed values, one schema per program.

Usage::

    from bareosnet.config import load_config
    cfg = load_config("/etc/bareos", daemon="fd")      # -c FILE or -c DIR
    me = cfg.own()                                      # the fd's Client resource
    director = cfg.get("director", "bareos-dir")
    director.password.key                               # md5 hex bytes: CRAM key and PSK
    director.tls                                        # TlsSettings with defaults applied

Files matched by ``bareos-dir.d/*/*.conf`` (or an ``@glob`` include) are read
in sorted order; ``include_order="bareos"`` reads them in real Bareos's reverse
order.  Personas "17.2" and "18.2" change TLS defaults and also accept the few
directives Bareos 23 removed (``DbDriver``, ``Compatible``, ``Pid Directory`` ...).

Sans-IO apart from reading the configuration files themselves: nothing here
opens sockets, and ``@|command`` includes are refused rather than executed.
"""

from __future__ import annotations

from bareosnet.config.loader import find_config_path, load_config, parse_string, schema_for
from bareosnet.config.model import (
    Address,
    Config,
    FileOptions,
    IncludeExclude,
    MessageDestination,
    Resource,
    RunScript,
    RunSpec,
)
from bareosnet.config.password import Password
from bareosnet.config.schema import PERSONAS
from bareosnet.config.show import show_resource
from bareosnet.config.tables import DAEMONS

__all__ = [
    "DAEMONS",
    "PERSONAS",
    "Address",
    "Config",
    "FileOptions",
    "IncludeExclude",
    "MessageDestination",
    "Password",
    "Resource",
    "RunScript",
    "RunSpec",
    "find_config_path",
    "load_config",
    "parse_string",
    "schema_for",
    "show_resource",
]
