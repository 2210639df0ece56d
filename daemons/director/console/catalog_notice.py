"""The lines a console sees when a command opens the catalog (Bareos ua_db.cc).

A console session has two catalog connections, opened on first use and kept
until it ends: the shared one (``run``, ``estimate``, ``use`` ...) and a private
one (``list``/``llist``, ``restore``, ``.bvfs_*`` ...).  Opening either says
``Using Catalog "X"`` (not in API modes).  Which Catalog: the one of a
``client=`` or ``job=`` argument's Client (``OpenClientDb``), else the one
chosen before in the session, else the first the console may use, which the
first time is announced as "Automatically selected Catalog: X".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from daemons.director.console.args import Args

if TYPE_CHECKING:
    from daemons.director.console.interfaces import CommandSession


def _catalog_of_argument(s: CommandSession, args: Args | None) -> str | None:
    if args is None:
        return None
    for key in ("client", "job"):
        value = args.value(key)
        if value is None:
            continue
        res = s.rt.cfg.get(key, value)
        if key == "job" and res is not None:
            res = s.rt.cfg.get("client", str(res.get("Client"))) if res.get("Client") else None
        if res is not None and res.get("Catalog"):
            return str(res.get("Catalog"))
    return None


async def say_catalog_opened(s: CommandSession, args: Args | None = None, *,
                             private: bool = False) -> None:  # fmt: skip
    opened = s.private_catalog_opened if private else s.catalog_opened
    if s.out.api or opened:
        return
    chosen = _catalog_of_argument(s, args)
    if chosen is None:
        cats = [c.name for c in s.rt.cfg.all("catalog") if s.allowed("catalog", c.name)]
        chosen = cats[0] if cats else "MyCatalog"
        if not s.catalog_chosen:
            await s.out.text(f"Automatically selected Catalog: {chosen}\n")
    s.catalog_chosen = True
    await s.out.text(f'Using Catalog "{chosen}"\n')
    if private:
        s.private_catalog_opened = True
    else:
        s.catalog_opened = True
