"""The Storage daemon's volume commands from a console: ``label``, ``relabel``, ``mount``,
``autochanger`` (stored/dir_cmd.cc LabelCmd, RelabelCmd, MountCmd, ChangerCmd).

The Director's ``label``/``relabel`` ask the SD to write a volume label on a device: here
the volume file ``<Archive Device>/<name>`` gets the header an auto-labelled volume gets
(:mod:`daemons.storage.volume`), and the answer is the line the Director scans,
``3000 OK label. VolFiles=0 VolBytes=<n> Volume="<name>" Device=<print name>``.  Relabel
truncates the old file and labels a new one, as Bareos does on a file device.  A file
device is "always mounted"; none of the emulated devices is an autochanger.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import structlog
import trio

from bareosnet.proto.names import unbash_spaces
from daemons.storage.devices import archive_dir, print_name
from daemons.storage.interfaces import DirectorSession, sd_command
from daemons.storage.volume import VolumeFormatError, VolumeTruncatedError, VolumeWriter, read_label

log = structlog.get_logger("bareos.sd")

_LABEL = re.compile(
    r"label (\S+) VolumeName=(\S+) PoolName=(\S+) MediaType=(\S+) Slot=(-?\d+) drive=(-?\d+)"
    r" MinBlocksize=(-?\d+) MaxBlocksize=(-?\d+)"
)
_RELABEL = re.compile(
    r"relabel (\S+) OldName=(\S+) NewName=(\S+) PoolName=(\S+) MediaType=(\S+) Slot=(-?\d+)"
    r" drive=(-?\d+) MinBlocksize=(-?\d+) MaxBlocksize=(-?\d+)"
)
_MOUNT = re.compile(r"mount (\S+) drive=(-?\d+)(?: slot=(-?\d+))?")
_CHANGER = re.compile(r"autochanger (listall|list|slots|drives) (\S+)"
                      r"|autochanger (transfer) (\S+) (-?\d+) (-?\d+)")  # fmt: skip


def _device(s: DirectorSession, name: str) -> Any | None:
    """Bareos FindDevice: a Device by name, or the first Device of an Autochanger."""
    cfg = s.daemon.config
    dev = cfg.get("Device", name)
    if dev is not None:
        return dev
    changer = cfg.get("Autochanger", name)
    for member in (changer.get("Device") or ()) if changer is not None else ():
        dev = cfg.get("Device", getattr(member, "name", None) or str(member))
        if dev is not None:
            return dev
    return None


def _legal(name: str) -> bool:
    # The Director checks names too; the SD must still never write outside its directory.
    return bool(name) and "/" not in name and name not in (".", "..")


def _label_file(path: Path, old: Path | None, name: str, media_type: str) -> str:
    """Write the label (worker thread); returns the reply line."""
    target = old if old is not None else path
    if target.exists() and target.stat().st_size > 0:
        try:
            found = read_label(target).volume_name
        except (VolumeFormatError, VolumeTruncatedError, OSError):
            found = None
        if old is None and found is not None:
            return f'3920 Cannot label Volume because it is already labeled: "{found}"\n'
        if old is not None and found is not None and found != old.name:
            return "3921 Wrong volume mounted.\n"
    if old is not None:
        # Bareos truncates the old volume, then labels the new name.
        if old.exists():
            old.open("r+b").truncate(0)
        if path.exists() and path != old:
            return f'3920 Cannot label Volume because it is already labeled: "{name}"\n'
    elif path.exists():
        path.unlink()  # an empty (unlabelled) file: label it
    path.parent.mkdir(parents=True, exist_ok=True)
    VolumeWriter.create(path, name, media_type).close()
    return ""


async def _label(s: DirectorSession, dev_name: str, old: str | None, new: str,
                 media_type: str) -> None:  # fmt: skip
    dev = _device(s, dev_name)
    if dev is None:
        await s.answer(f'3999 Device "{dev_name}" not found or could not be opened.\n')
        return
    if not _legal(new) or (old is not None and not _legal(old)):
        await s.answer(f"3912 Failed to label Volume: ERR=illegal volume name {new!r}\n")
        return
    base = archive_dir(dev)
    path = base / new
    try:
        refused = await trio.to_thread.run_sync(
            _label_file, path, base / old if old is not None else None, new, media_type
        )
    except OSError as exc:
        await s.answer(f"3912 Failed to label Volume: ERR={exc.strerror or exc}\n")
        return
    if refused:
        await s.answer(refused)
        return
    size = path.stat().st_size
    log.info("volume.labelled", volume=new, old=old, device=dev.name, bytes=size)
    await s.answer(f'3000 OK label. VolFiles=0 VolBytes={size} Volume="{new}" '
                   f"Device={print_name(dev)}\n")  # fmt: skip


@sd_command("label")
async def label_cmd(s: DirectorSession, text: str) -> bool:
    m = _LABEL.match(text)
    if m is None:
        await s.answer(f"3903 Error scanning label command: {text}\n")
        return True
    dev, new, _pool, media = (unbash_spaces(g) for g in m.groups()[:4])
    await _label(s, dev, None, new, media)
    return True


@sd_command("relabel")
async def relabel_cmd(s: DirectorSession, text: str) -> bool:
    m = _RELABEL.match(text)
    if m is None:
        await s.answer(f"3903 Error scanning label command: {text}\n")
        return True
    dev, old, new, _pool, media = (unbash_spaces(g) for g in m.groups()[:5])
    await _label(s, dev, old, new, media)
    return True


@sd_command("mount")
async def mount_cmd(s: DirectorSession, text: str) -> bool:
    m = _MOUNT.match(text)
    if m is None:
        await s.answer(f"3909 Error scanning mount command: {text}\n")
        return True
    dev = _device(s, unbash_spaces(m.group(1)))
    if dev is None:
        await s.answer(f'3999 Device "{unbash_spaces(m.group(1))}" not found or could not be '
                       "opened.\n")  # fmt: skip
        return True
    await s.answer(f"3906 File device {print_name(dev)} is always mounted.\n")
    return True


@sd_command("autochanger")
async def autochanger_cmd(s: DirectorSession, text: str) -> bool:
    m = _CHANGER.match(text)
    if m is None:
        await s.answer(f"3908 Error scanning autochanger drives/list/slots command: {text}\n")
        return True
    name = unbash_spaces(m.group(2) or m.group(4))
    dev = _device(s, name)
    if dev is None:
        await s.answer(f'3999 Device "{name}" not found or could not be opened.\n')
    else:
        # Bareos quotes the print name, which has its own quotes.
        await s.answer(f'3998 Device "{print_name(dev)}" is not an autochanger.\n')
    return True
