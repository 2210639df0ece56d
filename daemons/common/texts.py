"""Version strings, dates and other texts the emulators print like Bareos does."""

from __future__ import annotations

import platform
import time
from functools import cache

from bareosnet.proto.hello import Persona

# Release dates shown next to each persona's version ("Version: X (date)").
_DATES = {
    Persona.V17_2: ("09 July 2020", "09Jul20"),
    Persona.V18_2: ("14 February 2023", "14Feb23"),
    Persona.V25: ("02 June 2025", "02Jun25"),
    Persona.V26: ("21 August 2026", "21Aug26"),
}
BINARY_INFO = "bareosnet emulator"
SERVICES_MESSAGE = "bareosnet emulator (not a Bareos build)\nSee README.md of bareosnet"


def version(persona: Persona) -> str:
    return persona.version


def release_date(persona: Persona) -> str:
    return _DATES[persona][0]


def short_date(persona: Persona) -> str:
    return _DATES[persona][1]


@cache
def os_name() -> str:
    """The host OS the way Bareos prints it (e.g. ``Debian GNU/Linux 12 (bookworm)``)."""
    try:
        return platform.freedesktop_os_release().get("PRETTY_NAME", platform.system())
    except OSError:
        return platform.system()


@cache
def os_id() -> str:
    try:
        return platform.freedesktop_os_release().get("ID", platform.system().lower())
    except OSError:
        return platform.system().lower()


def version_line(name: str, persona: Persona) -> str:
    """``<name> Version: <v> (<date>) <os>`` — first line of every status."""
    return f"{name} Version: {version(persona)} ({release_date(persona)}) {os_name()}"


def bareos_time(ts: float | None = None) -> str:
    """Bareos's short timestamp: ``27-Nov-26 01:10``."""
    return time.strftime("%d-%b-%y %H:%M", time.localtime(ts))
