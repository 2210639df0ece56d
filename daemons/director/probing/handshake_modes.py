"""Which handshake reached each File daemon last: in memory like Bareos, plus an optional file.

Bareos keeps the mode per Client in memory only and forgets every mode on a
config reload.  The emulator does the same and, unless ``--no-handshake-state``
is given, also remembers the working modes across restarts in
``<Working Directory>/bareosnet-handshake-modes.json``::

    {"version": 1, "clients": {"bareos-fd": {"mode": "cleartext-first",
      "address": "10.0.0.5", "port": 9102, "tls_enable": false,
      "tls_require": false, "saved_at": "2026-11-27T01:10:00Z"}}}

A saved entry is used only while that Client's address, port and TLS
settings are unchanged (the "fingerprint"); a corrupt file, another format
version or a changed Client is ignored with a warning.  Only successful modes
are written: ``failed`` means "probe again", the same as no entry.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import attrs
import structlog

from bareosnet.proto.policy import HandshakeMode

log = structlog.get_logger("bareosnet.director.modes")

STATE_FILE_NAME = "bareosnet-handshake-modes.json"
STATE_VERSION = 1
_PERSISTED = (HandshakeMode.TLS_FIRST, HandshakeMode.CLEARTEXT_FIRST)


@attrs.frozen
class ClientFingerprint:
    """What must be unchanged for a saved mode to stay valid."""

    address: str
    port: int
    tls_enable: bool
    tls_require: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "port": self.port,
            "tls_enable": self.tls_enable,
            "tls_require": self.tls_require,
        }


def client_fingerprint(client: Any) -> ClientFingerprint:
    tls = client.tls
    return ClientFingerprint(
        address=str(client.get("Address")),
        port=int(client.get("Port")),
        tls_enable=bool(tls.enable),
        tls_require=bool(tls.require),
    )


class HandshakeModeStore:
    """Mode per Client name; ``path`` None = memory only (exact Bareos behaviour)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._modes: dict[str, HandshakeMode] = {}
        self._fingerprints: dict[str, ClientFingerprint] = {}
        self._saved_at: dict[str, str] = {}
        self._deferring = 0  # > 0: inside deferred_writes(); _dirty: a write is owed
        self._dirty = False

    # -- queries
    def get(self, name: str) -> HandshakeMode:
        return self._modes.get(name, HandshakeMode.UNDEFINED)

    def snapshot(self) -> dict[str, HandshakeMode]:
        return dict(self._modes)

    # -- updates
    def set(self, name: str, mode: HandshakeMode, fingerprint: ClientFingerprint) -> None:
        """Record the outcome of a contact; a persisted change rewrites the file."""
        old = self.get(name)
        self._modes[name] = mode
        self._fingerprints[name] = fingerprint
        if mode in _PERSISTED:
            if old != mode or name not in self._saved_at:
                self._saved_at[name] = _now()
                self._write()
        elif self._saved_at.pop(name, None) is not None:
            self._write()

    def reset_all(self) -> None:
        """Config reload: every Client is undefined again (and the file says so)."""
        self._modes.clear()
        self._fingerprints.clear()
        self._saved_at.clear()
        self._write()

    @contextlib.contextmanager
    def deferred_writes(self) -> Iterator[None]:
        """Write the file once at the end instead of once per change.

        For many concurrent probes (``status all``): each write is a full
        rewrite with fsync, which blocks the Director's event loop.
        """
        self._deferring += 1
        try:
            yield
        finally:
            self._deferring -= 1
            if not self._deferring and self._dirty:
                self._write()

    # -- persistence
    def load(self, current: Iterable[tuple[str, ClientFingerprint]]) -> None:
        """Take saved modes whose Client still exists with the same fingerprint."""
        if self.path is None:
            return
        try:
            raw = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return
        except OSError as exc:
            log.warning("modes.unreadable", path=str(self.path), error=str(exc))
            return
        try:
            data = json.loads(raw)
        except ValueError as exc:
            log.warning("modes.corrupt", path=str(self.path), error=str(exc))
            return
        if not isinstance(data, dict) or data.get("version") != STATE_VERSION:
            version = data.get("version") if isinstance(data, dict) else None
            log.warning("modes.version_mismatch", path=str(self.path), found=version,
                        expected=STATE_VERSION)  # fmt: skip
            return
        clients = data.get("clients")
        if not isinstance(clients, dict):
            log.warning("modes.corrupt", path=str(self.path), error="no clients object")
            return
        known = dict(current)
        for name, entry in clients.items():
            fp = known.get(name)
            parsed = _parse_entry(entry)
            if parsed is None:
                log.warning("modes.entry_ignored", client=name, reason="malformed entry")
                continue
            mode, saved_fp, saved_at = parsed
            if fp is None:
                log.warning(
                    "modes.entry_ignored", client=name, reason="client no longer configured"
                )
                continue
            if saved_fp != fp:
                log.warning("modes.entry_ignored", client=name,
                            reason="client address, port or TLS settings changed")  # fmt: skip
                continue
            self._modes[name] = mode
            self._fingerprints[name] = fp
            self._saved_at[name] = saved_at
            log.info("modes.loaded", client=name, mode=mode.value, saved_at=saved_at)
        # Drop stale entries from the file right away.
        self._write()

    def _write(self) -> None:
        if self.path is None:
            return
        if self._deferring:
            self._dirty = True
            return
        self._dirty = False
        clients = {
            name: {
                "mode": self._modes[name].value,
                **self._fingerprints[name].as_dict(),
                "saved_at": self._saved_at[name],
            }  # fmt: skip
            for name in sorted(self._saved_at)
            if self._modes.get(name) in _PERSISTED and name in self._fingerprints
        }
        text = json.dumps({"version": STATE_VERSION, "clients": clients}, indent=2) + "\n"
        tmp = self.path.with_name(self.path.name + ".tmp")
        try:
            with open(tmp, "w", encoding="utf-8") as fh:
                fh.write(text)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except OSError as exc:
            # The file is an extra; the Director works on without it.
            log.warning("modes.write_failed", path=str(self.path), error=str(exc))


def _parse_entry(entry: object) -> tuple[HandshakeMode, ClientFingerprint, str] | None:
    if not isinstance(entry, dict):
        return None
    try:
        mode = HandshakeMode(entry["mode"])
        fp = ClientFingerprint(
            address=str(entry["address"]),
            port=int(entry["port"]),
            tls_enable=bool(entry["tls_enable"]),
            tls_require=bool(entry["tls_require"]),
        )
    except (KeyError, ValueError, TypeError):
        return None
    if mode not in _PERSISTED:
        return None
    return mode, fp, str(entry.get("saved_at", ""))


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
