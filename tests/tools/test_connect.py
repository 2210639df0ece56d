"""``bareos-emu connect`` against bareosnet acceptors: success and each failure cause."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import trio

from bareosnet.errors import BareosError
from bareosnet.net.handshake import AcceptorSettings, accept
from bareosnet.proto.connections import spec
from bareosnet.proto.cram import password_key
from bareosnet.proto.handshake import AcceptPlan, Refusal
from bareosnet.proto.hello import Persona
from bareosnet.tls.settings import TlsSettings
from tests.tls.pki import make_pki

BIN = Path(sys.executable).parent / "bareos-emu"
KEY = password_key("fd-secret")


async def serve(settings: AcceptorSettings, task_status=trio.TASK_STATUS_IGNORED):
    listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
    task_status.started(listeners[0].socket.getsockname()[1])
    async with trio.open_nursery() as nursery:
        while True:
            tcp = await listeners[0].accept()

            async def handle(tcp=tcp):
                try:
                    stream, _ = await accept(tcp, settings)
                    await stream.aclose()
                except BareosError:
                    pass

            nursery.start_soon(handle)


def fd_settings(tls: TlsSettings, *, persona=Persona.V26, known=("bareos-dir",)) -> AcceptorSettings:
    def resolve(hello):
        if hello.name not in known:
            return Refusal(f"no Director {hello.name!r}")
        return AcceptPlan(spec("3"), KEY, tls.policy, "emu-fd")

    return AcceptorSettings(
        resolver=resolve, own_tls=tls,
        psk_lookup=lambda ident: KEY if ident.split("\x1e")[1] in known else None,
        persona=persona, timeout=5, peek_timeout=2, failure_delay=0,
    )  # fmt: skip


async def run_connect(settings: AcceptorSettings, *args: str) -> dict:
    async with trio.open_nursery() as nursery:
        port = await nursery.start(serve, settings)
        proc = await trio.run_process(
            [str(BIN), "connect", f"127.0.0.1:{port}", "--as", "director-fd", "--json", *args],
            capture_stdout=True, check=False,
        )  # fmt: skip
        nursery.cancel_scope.cancel()
    rep = json.loads(proc.stdout)
    assert proc.returncode == (0 if rep["ok"] else 1)
    return rep


async def test_tls_psk_success():
    rep = await run_connect(fd_settings(TlsSettings()), "--name", "bareos-dir", "--password", "fd-secret")
    assert rep["ok"] and rep["mode"] == "tls-first"
    assert rep["tls_version"] == "TLSv1.3" and rep["psk_used"]
    assert rep["psk_identity"] == "R_DIRECTOR<RS>bareos-dir"
    assert rep["greeting"] == ["2000 OK Hello 54"]


async def test_probe_falls_back_to_cleartext_for_old_fd():
    rep = await run_connect(
        fd_settings(TlsSettings(enable=False, require=False), persona=Persona.V17_2),
        "--name", "bareos-dir", "--password", "fd-secret", "--persona", "26",
    )  # fmt: skip
    assert [a["mode"] for a in rep["attempts"]] == ["tls-first", "cleartext"]
    assert not rep["attempts"][0]["ok"] and rep["ok"] and rep["mode"] == "cleartext-first"
    assert rep["tls_version"] is None


async def test_tls_require_never_downgrades():
    rep = await run_connect(
        fd_settings(TlsSettings(enable=False, require=False), persona=Persona.V17_2),
        "--name", "bareos-dir", "--password", "fd-secret", "--tls-require", "yes",
    )  # fmt: skip
    assert [a["mode"] for a in rep["attempts"]] == ["tls-first"] and not rep["ok"]


async def test_wrong_password_cleartext():
    rep = await run_connect(
        fd_settings(TlsSettings(enable=False, require=False)),
        "--name", "bareos-dir", "--password", "nope", "--tls", "cleartext",
    )  # fmt: skip
    assert not rep["ok"] and rep["cause"] == "wrong-password" and "password" in rep["hint"]


async def test_wrong_password_tls_psk():
    rep = await run_connect(fd_settings(TlsSettings()), "--name", "bareos-dir", "--password", "nope",
                            "--tls", "tls")  # fmt: skip
    assert not rep["ok"] and rep["cause"] == "psk-mismatch"


async def test_unknown_name_cleartext():
    rep = await run_connect(
        fd_settings(TlsSettings(enable=False, require=False)),
        "--name", "stranger-dir", "--password", "fd-secret", "--tls", "cleartext",
    )  # fmt: skip
    assert not rep["ok"] and rep["cause"] == "peer-refused"


async def test_policy_mismatch():
    # Peer (a 17.2 FD) has TLS off; we require TLS but have no certificate path: ssl=2 vs 0.
    rep = await run_connect(
        fd_settings(TlsSettings(enable=False, require=False), persona=Persona.V17_2),
        "--name", "bareos-dir", "--password", "fd-secret", "--tls", "cleartext",
        "--tls-require", "yes",
    )  # fmt: skip
    assert not rep["ok"] and rep["cause"] == "policy-deny"


async def test_cleartext_refused_by_tls_peer():
    rep = await run_connect(fd_settings(TlsSettings()), "--name", "bareos-dir", "--password",
                            "fd-secret", "--tls", "cleartext", "--tls-enable", "no")  # fmt: skip
    assert not rep["ok"] and rep["cause"] == "peer-refused"


async def test_untrusted_certificate(tmp_path):
    pki = make_pki(tmp_path)
    leaf = pki.leaf("fd.example")
    server = TlsSettings(certificate=leaf.cert, key=leaf.key)
    rep = await run_connect(fd_settings(server), "--name", "bareos-dir", "--password", "fd-secret",
                            "--tls", "tls")  # fmt: skip
    # Our side has no certificates and no verification: like bconsole we accept the
    # certificate session (reference section 14) and report it as not PSK.
    assert rep["ok"] and rep["psk_used"] is False


async def test_certificate_not_trusted(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    pki = make_pki(tmp_path / "a")
    other = make_pki(tmp_path / "b")
    leaf = pki.leaf("fd.example")
    server = TlsSettings(certificate=leaf.cert, key=leaf.key)
    rep = await run_connect(fd_settings(server), "--name", "bareos-dir", "--password", "fd-secret",
                            "--tls", "tls", "--tls-verify-peer", "yes", "--tls-ca", other.ca_file)  # fmt: skip
    assert not rep["ok"] and rep["cause"] == "untrusted" and "CA" in rep["hint"]


async def test_certificate_cn_not_allowed(tmp_path):
    pki = make_pki(tmp_path)
    leaf = pki.leaf("fd.example")
    server = TlsSettings(certificate=leaf.cert, key=leaf.key)
    rep = await run_connect(fd_settings(server), "--name", "bareos-dir", "--password", "fd-secret",
                            "--tls", "tls", "--tls-verify-peer", "yes", "--tls-ca", pki.ca_file,
                            "--tls-allowed-cn", "other.example")  # fmt: skip
    assert not rep["ok"] and rep["cause"] == "cn-not-allowed"
    ok = await run_connect(fd_settings(server), "--name", "bareos-dir", "--password", "fd-secret",
                           "--tls", "tls", "--tls-verify-peer", "yes", "--tls-ca", pki.ca_file,
                           "--tls-allowed-cn", "fd.example")  # fmt: skip
    assert ok["ok"] and ok["peer_cn"] == "fd.example" and not ok["psk_used"]


async def test_connect_refused():
    proc = await trio.run_process([str(BIN), "connect", "127.0.0.1:1", "--as", "director-fd", "--json",
                                   "--name", "d", "--password", "p"], capture_stdout=True, check=False)  # fmt: skip
    rep = json.loads(proc.stdout)
    assert proc.returncode == 1 and rep["cause"] == "connect"


@pytest.mark.parametrize("role", ["console", "named-console"])
async def test_text_output(role):
    key = password_key("pw")
    settings = AcceptorSettings(
        resolver=lambda h: AcceptPlan(spec("1" if role == "console" else "2"), key, 2, "emu-dir",
                                      success=lambda enc: [b"1000\x1eOK: emu-dir Version: 26.0.0", b"1002\x1ehello"]),
        own_tls=TlsSettings(), psk_lookup=lambda ident: key, timeout=5, failure_delay=0,
    )  # fmt: skip
    async with trio.open_nursery() as nursery:
        port = await nursery.start(serve, settings)
        proc = await trio.run_process([str(BIN), "connect", f"127.0.0.1:{port}", "--as", role,
                                       "--name", "admin", "--password", "pw"], capture_stdout=True)  # fmt: skip
        nursery.cancel_scope.cancel()
    text = proc.stdout.decode()
    assert "Result:    OK" in text and "Immediate TLS" in text
    assert "Greeting:  1000 OK: emu-dir Version: 26.0.0" in text
