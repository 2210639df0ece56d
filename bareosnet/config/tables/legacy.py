"""Directives older Bareos releases accepted and current ones no longer know.

Bareos 23 removed a few directives of the daemons' own resources and of the
Catalog.  A configuration written for the 17.2 or 18.2 (..22) persona may still
use them, so with those personas they are accepted (and warned about);
with the 25/26 personas they are unknown directives, as in real Bareos.

Facts from the public Bareos sources, branches bareos-17.2
(src/*/..._conf.c) and bareos-18.2 .. bareos-22 (core/src/*/..._conf.cc).
Pid directory default: the usual Linux package path.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

from bareosnet.config.schema import I, ItemSpec
from bareosnet.config.schema import Kind as K


def _old(name: str, kind: K, default: Any = None) -> ItemSpec:
    # flagged deprecated: using one produces a warning in Config.warnings
    return I(name, kind, default, dep=True)


_DAEMON_OWN = (
    _old("PidDirectory", K.PATH, "/var/lib/bareos"),
    _old("SubSysDirectory", K.PATH),
)

LEGACY_ITEMS = MappingProxyType(
    {
        "dir": MappingProxyType(
            {
                "Director": (
                    *_DAEMON_OWN,
                    _old("MaximumConnections", K.PINT32, 30),
                    _old("OptimizeForSize", K.BOOL, False),
                    _old("OptimizeForSpeed", K.BOOL, False),
                    _old("OmitDefaults", K.BOOL, True),
                ),
                "Catalog": (_old("DbDriver", K.STR),),
            }
        ),
        "fd": MappingProxyType(
            {
                "Client": (
                    *_DAEMON_OWN,
                    _old("MaximumConnections", K.PINT32, 42),
                    _old("Compatible", K.BOOL, False),
                ),
            }
        ),
        "sd": MappingProxyType(
            {
                "Storage": (
                    *_DAEMON_OWN,
                    _old("MaximumConnections", K.PINT32, 42),
                    _old("Compatible", K.BOOL, False),
                ),
            }
        ),
    }
)

LEGACY_PERSONAS = frozenset({"17.2", "18.2"})
