"""The diagram of a real run: a backup with a probed 17.2-persona File daemon.

The three emulators run as subprocesses with ``--trace``; the Director probes
the legacy client (TLS first, which the 17.2 FD drops as an oversize packet),
falls back to cleartext, and the backup's data connection 6 runs cleartext.
``bareos-emu trace`` then draws the merged traces, and the test reads the
drawing: lifelines, the arrows in order with their modes, the failed probe.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bareosnet.trace.diagram import Arrow, Note, build
from daemons.tools.cli import main as bareos_emu
from daemons.tools.trace import load
from tests.daemons.test_director_lab import DIR, FD, SD, start_all, stop_all
from tests.daemons.test_e2e_jobs import build_lab, finish, queue
from tests.support.daemons import DaemonProcess

pytestmark = pytest.mark.slow

SECRETS = ("lab-fd-secret", "lab-sd-secret", "lab-console-secret")


@pytest.fixture(scope="module")
def legacy_backup(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path], int]:
    tmp = tmp_path_factory.mktemp("trace")
    lab = build_lab(tmp, mode="clear-fd", persona="17.2")
    traces = [tmp / "dir.trace", tmp / "fd.trace", tmp / "sd.trace"]
    procs = [
        DaemonProcess(DIR, lab.root / "dir", "--auth-failure-delay", "0", "--trace", str(traces[0])),
        DaemonProcess(FD, lab.root / "fd", "--auth-failure-delay", "0.05", *lab.fd_args,
                      "--trace", str(traces[1])),
        DaemonProcess(SD, lab.root / "sd0", "--trace", str(traces[2])),
    ]  # fmt: skip
    start_all(procs)
    try:
        lab.procs = dict(zip(["dir", "fd", "sd0"], procs, strict=True))
        c = lab.console()
        job_id = queue(c, "run job=backup yes")
        msgs = finish(c, job_id)
        assert "Backup OK" in msgs, msgs
        c.close()
    finally:
        stop_all(procs)
    return tmp, traces, job_id


def test_the_trace_files_are_json_lines_without_secrets(
    legacy_backup: tuple[Path, list[Path], int],
) -> None:
    _tmp, traces, _job = legacy_backup
    for path in traces:
        text = path.read_text()
        records = [json.loads(line) for line in text.splitlines()]
        assert records and all({"timestamp", "event", "daemon"} <= r.keys() for r in records)
        for secret in SECRETS:
            assert secret not in text
        assert "Authorization=" not in text
    fd_daemon = {json.loads(line)["daemon"] for line in traces[1].read_text().splitlines()}
    assert fd_daemon == {"bareos-fd-emu"}


def test_the_backup_diagram_shows_the_probe_and_the_fallback(
    legacy_backup: tuple[Path, list[Path], int],
) -> None:
    _tmp, traces, job_id = legacy_backup
    diagram = build(load([str(p) for p in traces]), job=job_id)
    assert diagram.lifelines == ["Director", "File daemon", "Storage daemon"]
    arrows = [(i.source, i.target, i.label) for i in diagram.items if isinstance(i, Arrow)]
    assert arrows == [
        ("Director", "Storage daemon", "5 tls-psk 1.3"),
        ("Director", "File daemon", "3 tls-first ✗"),
        ("Director", "File daemon", "3 cleartext ssl=0"),
        ("File daemon", "Storage daemon", "6 cleartext ssl=0"),
    ], diagram.items
    failed = [i for i in diagram.items if isinstance(i, Arrow) and i.failed]
    assert [a.label for a in failed] == ["3 tls-first ✗"]
    notes = [i.text for i in diagram.items if isinstance(i, Note)]
    fallback = next(n for n in notes if "tls-first failed -> cleartext-first" in n)
    # The fallback note sits between the failed attempt and the cleartext retry.
    order = [i.label if isinstance(i, Arrow) else i.text for i in diagram.items]
    assert order.index("3 tls-first ✗") < order.index(fallback) < order.index("3 cleartext ssl=0")
    assert f"job {job_id} start: Backup backup" in " ".join(notes) or any(
        n.startswith(f"job {job_id} start") for n in notes
    ), notes
    assert any(n.startswith(f"job {job_id} end: status T") for n in notes), notes
    assert any("session key" in n for n in notes), notes


def test_steps_show_the_client_hello_the_17_2_fd_refused_and_each_cram_message(
    legacy_backup: tuple[Path, list[Path], int],
) -> None:
    _tmp, traces, job_id = legacy_backup
    diagram = build(load([str(p) for p in traces]), job=job_id, detail="steps")
    labels = [i.label for i in diagram.items if isinstance(i, Arrow) and i.connection == "3"]
    assert labels[0] == "3 TLS ClientHello", labels
    assert labels[1].startswith("3 Hello Director bareos-dir"), labels  # FD answered nothing
    # after the failed TLS attempt, the cleartext handshake, packet by packet
    hello = next(i for i, x in enumerate(labels) if x.startswith("3 Hello Director bareos-dir"))
    rest = labels[hello:]
    assert [re.sub(r" .*", "", x.split(" ", 1)[1]) for x in rest[:7]] == [
        "Hello", "auth", "CRAM-MD5", "1000", "auth", "CRAM-MD5", "1000",
    ], rest
    assert "3 auth cram-md5 bareos-fd ssl=0" in rest, rest  # 17.2: bare name, ssl=0
    notes = [i.text for i in diagram.items if isinstance(i, Note)]
    assert any(n.startswith("3 failed:") for n in notes), notes


@pytest.mark.parametrize("fmt", ["text", "mermaid", "svg"])
def test_bareos_emu_trace_draws_every_format(
    legacy_backup: tuple[Path, list[Path], int], fmt: str, tmp_path: Path,
) -> None:  # fmt: skip
    _tmp, traces, job_id = legacy_backup
    out = tmp_path / f"trace.{fmt}"
    rc = bareos_emu(["trace", *map(str, traces), "--job", str(job_id), "--format", fmt,
                     "-o", str(out)])  # fmt: skip
    assert rc == 0
    drawing = out.read_text()
    if fmt == "mermaid":
        assert drawing.startswith("sequenceDiagram\n")
        assert "    participant P0 as Director\n" in drawing
        assert "P0-xP1: 3 tls-first ✗" in drawing
        assert "P0->>P1: 3 cleartext ssl=0" in drawing
    elif fmt == "svg":
        import xml.etree.ElementTree as ET

        root = ET.fromstring(drawing)
        texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
        assert {"Director", "File daemon", "Storage daemon"} <= set(texts)
        assert texts.index("3 tls-first ✗") < texts.index("3 cleartext ssl=0")
    else:
        lines = drawing.splitlines()
        assert lines[0].split() == ["Director", "File", "daemon", "Storage", "daemon"]
        joined = "\n".join(lines)
        assert joined.index("3 tls-first ✗") < joined.index("3 cleartext ssl=0")
        assert "x|" in joined  # the failed arrow ends in a cross at the FD's lifeline
