"""Maximum Concurrent Jobs caps the connections a File/Storage daemon serves at once."""

from __future__ import annotations

from pathlib import Path

import pytest
import trio

from bareosnet.proto import cram
from bareosnet.tls.settings import TlsSettings
from daemons.common.auth import open_connection
from tests.daemons.conftest import Bare, write_config
from tests.support.daemons import DaemonProcess, free_port

CASES = {
    # script, config dir, own resource, (port, address directives), row, expected refusal bytes
    "fd": ("bareos-fd-emu", "bareos-fd.d", "Client", ("FD Port", "FD Address"), "3", b""),
    "sd": ("bareos-sd-emu", "bareos-sd.d", "Storage", ("SD Port", "SD Address"), "5",
           b"\xff\xff\xff\xfc"),
}  # fmt: skip


@pytest.mark.parametrize("kind", sorted(CASES))
async def test_connections_beyond_the_limit_are_refused(kind: str, tmp_path: Path) -> None:
    script, tree, own_type, (port_key, addr_key), row, refusal = CASES[kind]
    port = free_port()
    own = {"Name": f"bareos-{kind}", port_key: port, addr_key: Bare("127.0.0.1"),
           "Maximum Concurrent Jobs": 2}  # fmt: skip
    resources = [(own_type, own), ("Director", {"Name": "bareos-dir", "Password": "pw"})]
    if kind == "sd":
        resources.append(("Device", {"Name": "FileStorage", "Media Type": "File",
                                     "Archive Device": str(tmp_path)}))  # fmt: skip
    proc = DaemonProcess(script, write_config(tmp_path, tree, resources), "--peek-timeout", "30").start()
    try:
        # Two silent connections take both places (they wait in the acceptor's peek).
        idle = [await trio.open_tcp_stream("127.0.0.1", port) for _ in range(2)]
        await trio.sleep(0.3)
        third = await trio.open_tcp_stream("127.0.0.1", port)
        got = b""
        with trio.fail_after(5):
            while chunk := await third.receive_some(100):
                got += chunk
        assert got == refusal  # then EOF
        proc.wait_for("connection.refused", lambda e: "limit 2" in e["reason"])
        for s in idle:
            await s.aclose()
        await trio.sleep(0.3)
        # Places are free again: a Director gets in and authenticates.
        stream, info = await open_connection(
            row, host="127.0.0.1", port=port, hello_name="bareos-dir", own_name="bareos-dir",
            key=cram.password_key("pw"), tls=TlsSettings(), timeout=10,
        )  # fmt: skip
        assert info.tls_version == "TLSv1.3"
        await stream.aclose(terminate=True)
    finally:
        assert proc.stop() == 0
