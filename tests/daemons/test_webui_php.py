"""bareos-webui's own PHP socket class (BareosBSock.php) against bareos-dir-emu: optional.

Runs only where ``php`` is installed and ``BAREOS_SOURCE`` names a Bareos source tree or a
bare git directory of one (the PHP files are read from it at test time, never kept here).
The webui's MVC layer needs Laminas packages from composer, so the pages themselves do not
run; its BSock class is what speaks to the Director, and this drives it exactly as the
models do: named console over certificate TLS (immediate TLS, no PSK), ``send_command``
with ``.api 2 compact=yes`` and ``use catalog=`` before each command, and its
``restore()`` (``.bvfs_restore`` + ``restore file=?b2<n>`` + ``.bvfs_cleanup``).

``tls_verify_peer`` is off: with PHP 8.2 the class's own post-connect check finds no
captured peer certificate (``stream_context_get_options`` holds none), whatever the
Director; the TLS session is a certificate session all the same (the Director logs it).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import trio

from tests.daemons.test_e2e_jobs import restored_root, snapshot
from tests.daemons.test_webui_commands import WEBUI_SECRET, _one_backup, _webui_lab, _webui_login

pytestmark = pytest.mark.slow

BSOCK_DIR = "webui/vendor/Bareos/library/Bareos/BSock"
BSOCK_FILES = ("BareosBSockInterface.php", "BareosBase64.php", "BareosBSock.php")

# Our harness: Laminas/Zend Json stand-ins (json_decode), then the calls the models make.
HARNESS = r"""<?php
namespace Laminas\Json { class Json { const TYPE_ARRAY = 1;
    static function decode($s, $t = 1) { return json_decode($s, true); } } }
namespace Zend\Json { class Json { const TYPE_ARRAY = 1;
    static function decode($s, $t = 1) { return json_decode($s, true); } } }
namespace {
foreach (['BareosBSockInterface', 'BareosBase64', 'BareosBSock'] as $f) {
    require __DIR__ . "/$f.php"; }
$a = json_decode(file_get_contents($argv[1]), true);
$b = new \Bareos\BSock\BareosBSock();
$b->set_config(['debug' => false, 'host' => 'localhost', 'port' => $a['port'],
  'password' => $a['password'], 'console_name' => 'webui', 'tls_verify_peer' => false,
  'server_can_do_tls' => true, 'server_requires_tls' => false, 'client_can_do_tls' => true,
  'client_requires_tls' => false, 'ca_file' => $a['ca'], 'cert_file' => $a['cert'],
  'catalog' => 'MyCatalog']);
$b->set_user_credentials('webui', $a['password']);
if (!$b->connect_and_authenticate()) { echo json_encode(['login' => false]); exit(1); }
$out = ['login' => true];
foreach ($a['json'] as $cmd) { $out[$cmd] = json_decode($b->send_command($cmd, 2), true); }
$out['restore'] = $b->restore($a['jobid'], 'fd', 'fd', 'RestoreFiles', $a['where'], '',
                              $a['dirid'], $a['jobids'], 'always', '');
echo json_encode($out);
}
"""


def _php_sources(dest: Path) -> bool:
    src = os.environ.get("BAREOS_SOURCE")
    if not src or shutil.which("php") is None:
        return False
    for name in BSOCK_FILES:
        path = Path(src) / BSOCK_DIR / name
        if path.is_file():
            text = path.read_text()
        else:
            r = subprocess.run(["git", "--git-dir", src, "show", f"HEAD:{BSOCK_DIR}/{name}"],
                               capture_output=True, text=True, timeout=30)  # fmt: skip
            if r.returncode != 0:
                return False
            text = r.stdout
        (dest / name).write_text(text)
    (dest / "version.php").write_text('<?php $bareos_full_version = "26.0.0";\n')
    (dest / "harness.php").write_text(HARNESS)
    return True


def test_webui_bsock_logs_in_browses_and_restores(tmp_path: Path) -> None:
    php_dir = tmp_path / "php"
    php_dir.mkdir()
    if not _php_sources(php_dir):
        pytest.skip("needs php and BAREOS_SOURCE (a Bareos source tree or bare git dir)")
    lab, tls = _webui_lab(tmp_path)
    combined = tmp_path / "webui-cert-and-key.pem"  # the webui's cert_file holds both
    combined.write_text(Path(tls.certificate).read_text() + Path(tls.key).read_text())
    where = tmp_path / "php-restore"
    with lab.running():
        job_id = trio.run(_one_backup, lab, tls)["jobid"]
        data_pathid = trio.run(_data_pathid, lab, tls, job_id, str(lab.data) + "/")
        cfg = {"port": lab.dp, "password": WEBUI_SECRET, "ca": tls.ca_certificate_file,
               "cert": str(combined), "jobid": job_id, "jobids": str(job_id),
               "dirid": data_pathid, "where": str(where),
               "json": [".help", "version", ".jobs type=R", f".bvfs_get_jobids jobid={job_id} all",
                        f".bvfs_lsdirs jobid={job_id} path= limit=1000 offset=0"]}  # fmt: skip
        (tmp_path / "cfg.json").write_text(json.dumps(cfg))
        p = subprocess.run(["php", "-d", f"include_path={php_dir}", str(php_dir / "harness.php"),
                            str(tmp_path / "cfg.json")], capture_output=True, text=True,
                           timeout=60)  # fmt: skip
        assert p.returncode == 0, p.stdout + p.stderr
        out: dict[str, Any] = json.loads(p.stdout)
        assert out["login"] is True
        assert out[".help"]["result"][".help"]["permission"] is True
        assert out["version"]["result"]["version"]["version"].startswith("26.")
        assert out[".jobs type=R"]["result"]["jobs"] == [{"name": "RestoreFiles", "enabled": True}]
        ids = out[f".bvfs_get_jobids jobid={job_id} all"]["result"]["jobids"]
        assert ids == [{"id": str(job_id)}]
        dirs = out[f".bvfs_lsdirs jobid={job_id} path= limit=1000 offset=0"]["result"]
        assert [d["Name"] for d in dirs["directories"]] == [".", "/"]
        assert "Job queued. JobId=" in out["restore"], out["restore"]
        restore_id = int(out["restore"].rsplit("JobId=", 1)[1].split()[0])
        trio.run(_wait, lab, tls, restore_id)
        handshakes = [e for e in lab.dir.events("handshake.ok") if e.get("connection") == "2"]
        assert handshakes and not any(e.get("psk_used") for e in handshakes), handshakes
    assert snapshot(restored_root(where, lab.data)) == snapshot(lab.data)


async def _data_pathid(lab: Any, tls: Any, job_id: int, path: str) -> int:
    c = await _webui_login(lab, tls)
    try:
        await c.call(".api 0")
        await c.call(f".bvfs_update jobid={job_id}")
        pathid = 0
        # Walk down from the root as the browser does; the last "." is the directory itself.
        where = "path=/"
        for part in path.strip("/").split("/"):
            lines = (await c.call(f".bvfs_lsdirs jobid={job_id} {where}")).splitlines()
            pathid = next(int(x.split("\t")[0]) for x in lines if x.endswith("\t" + part + "/"))
            where = f"pathid={pathid}"
        return pathid
    finally:
        await c.close()


async def _wait(lab: Any, tls: Any, job_id: int) -> None:
    c = await _webui_login(lab, tls)
    try:
        await c.call(f"wait jobid={job_id}")
    finally:
        await c.close()
