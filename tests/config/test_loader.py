"""-c FILE / -c DIR resolution, bareos-dir.d trees, and the lab configs in configs/."""

from __future__ import annotations

from pathlib import Path

import pytest

from bareosnet.config import Password, find_config_path, load_config
from bareosnet.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]
LAB = REPO / "configs"


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


DIR_TREE = {
    "bareos-dir.d/director/bareos-dir.conf": 'Director {\n  Name = bareos-dir\n  Password = "dirpw"\n  @INCLUDE_DIR_EXTRA@\n}\n',
    "bareos-dir.d/client/bareos-fd.conf": 'Client {\n  Name = bareos-fd\n  Address = 127.0.0.1\n  Password = "fdpw"\n}\n',
    "bareos-dir.d/client/bareos-fd-passive.conf": 'Client {\n  Name = bareos-fd-passive\n  Address = 127.0.0.1\n  Password = "fdpw"\n  Passive = yes\n}\n',
    "bareos-dir.d/console/admin.conf": 'Console {\n  Name = admin\n  Password = "adminpw"\n}\n',
    "bareos-dir.d/client/notes.txt": "not a .conf file: ignored\n",
    "extra/director-tls.inc": "  TLS Require = no  # spliced into the Director resource\n",
}


def dir_tree(root: Path) -> Path:
    files = dict(DIR_TREE)
    files["bareos-dir.d/director/bareos-dir.conf"] = files[
        "bareos-dir.d/director/bareos-dir.conf"
    ].replace("@INCLUDE_DIR_EXTRA@", f'@"{root}/extra/director-tls.inc"')
    write(root, files)
    return root


def test_dir_uses_include_directory(tmp_path: Path) -> None:
    cfg = load_config(dir_tree(tmp_path), daemon="dir", include_order="sorted")
    assert cfg.source == f"{tmp_path}/bareos-dir.d/*/*.conf"
    assert [(r.type, r.name) for r in cfg.resources] == [
        ("Client", "bareos-fd-passive"),
        ("Client", "bareos-fd"),
        ("Console", "admin"),
        ("Director", "bareos-dir"),
    ]
    assert [Path(f).name for f in cfg.files] == [
        "bareos-fd-passive.conf",
        "bareos-fd.conf",
        "admin.conf",
        "bareos-dir.conf",
        "director-tls.inc",
    ]
    d = cfg.own()
    assert d.name == "bareos-dir" and d.line == 1
    assert d.file == f"{tmp_path}/bareos-dir.d/director/bareos-dir.conf"
    assert d.tls.require is False and d.tls.enable is True
    assert cfg.get("client", "bareos-fd-passive")["Passive"] is True  # type: ignore[index]


def test_dir_tree_in_real_bareos_order(tmp_path: Path) -> None:
    # Bareos reads the matches of bareos-dir.d/*/*.conf from its include stack,
    # i.e. in reverse sorted order; a real Director lists its clients that way
    # (stream00: bareos-fd before bareos-fd-passive).  This is the default.
    cfg = load_config(dir_tree(tmp_path), daemon="dir")
    assert [(r.type, r.name) for r in cfg.resources] == [
        ("Director", "bareos-dir"),
        ("Console", "admin"),
        ("Client", "bareos-fd"),
        ("Client", "bareos-fd-passive"),
    ]


def test_main_file_wins_over_include_directory(tmp_path: Path) -> None:
    dir_tree(tmp_path)
    (tmp_path / "bareos-dir.conf").write_text('Director {\n  Name = main\n  Password = "x"\n}\n')
    cfg = load_config(tmp_path, daemon="dir")
    assert cfg.source == str(tmp_path / "bareos-dir.conf")
    assert [r.name for r in cfg.resources] == ["main"]


def test_file_argument_and_main_file_with_includes(tmp_path: Path) -> None:
    dir_tree(tmp_path)
    main = tmp_path / "custom.conf"
    main.write_text(f"# my own layout\n@{tmp_path}/bareos-dir.d/client/*.conf\n")
    cfg = load_config(main, daemon="dir")
    assert cfg.source == str(main)
    assert [r.name for r in cfg.resources] == ["bareos-fd", "bareos-fd-passive"]
    sorted_cfg = load_config(main, daemon="dir", include_order="sorted")
    assert [r.name for r in sorted_cfg.resources] == ["bareos-fd-passive", "bareos-fd"]


@pytest.mark.parametrize(
    ("daemon", "main", "include"),
    [
        ("sd", "bareos-sd.conf", "bareos-sd.d"),
        ("fd", "bareos-fd.conf", "bareos-fd.d"),
        ("console", "bconsole.conf", "bconsole.d"),
        ("tray-monitor", "tray-monitor.conf", "tray-monitor.d"),
    ],
)
def test_config_names_per_program(tmp_path: Path, daemon: str, main: str, include: str) -> None:
    (tmp_path / include / "x").mkdir(parents=True)
    assert find_config_path(tmp_path, daemon) == f"{tmp_path}/{include}/*/*.conf"
    (tmp_path / main).write_text("")
    assert find_config_path(tmp_path, daemon) == f"{tmp_path}/{main}"


def test_missing_configuration(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="Failed to find configuration files under directory"):
        load_config(tmp_path, daemon="fd")
    with pytest.raises(ConfigError, match="Failed to read config file"):
        load_config(tmp_path / "nope.conf", daemon="fd")
    (tmp_path / "bareos-fd.d").mkdir()
    with pytest.raises(ConfigError, match="Cannot open config file"):
        load_config(tmp_path, daemon="fd")  # the include directory holds no *.conf
    with pytest.raises(ValueError, match="persona"):
        load_config(tmp_path, daemon="fd", persona="9.0")


def test_error_location_in_a_tree(tmp_path: Path) -> None:
    dir_tree(tmp_path)
    bad = tmp_path / "bareos-dir.d/client/bareos-fd.conf"
    bad.write_text('Client {\n  Name = bareos-fd\n  Adress = 127.0.0.1\n  Password = "fdpw"\n}\n')
    with pytest.raises(ConfigError) as ei:
        load_config(tmp_path, daemon="dir")
    assert ei.value.file == str(bad) and ei.value.line == 3
    assert 'unknown directive "Adress"' in str(ei.value)


def test_command_include_refused_in_a_tree(tmp_path: Path) -> None:
    dir_tree(tmp_path)
    evil = tmp_path / "bareos-dir.d/client/evil.conf"
    evil.write_text("# harmless?\n@|/bin/echo 'Client { }'\n")
    with pytest.raises(ConfigError, match=rf"^{evil}:2: including the output of a command"):
        load_config(tmp_path, daemon="dir")


# -- the lab configuration in configs/ -------------------------------------------------------


def test_lab_configs_parse_and_agree() -> None:
    dird = load_config(LAB / "dir", daemon="dir")
    sd = load_config(LAB / "sd", daemon="sd")
    fd = load_config(LAB / "fd", daemon="fd")
    con = load_config(LAB / "console", daemon="console")
    for cfg in (dird, sd, fd, con):
        assert cfg.warnings == ()

    director = dird.own()
    assert (director.name, director["Address"], director["Port"]) == (
        "bareos-dir",
        "127.0.0.1",
        9101,
    )
    assert director["Working Directory"] == "/tmp/bareosnet-lab/dir"

    client = dird.get("client", "bareos-fd")
    passive = dird.get("client", "bareos-fd-passive")
    storage = dird.get("storage", "bareos-sd")
    admin = dird.get("console", "admin")
    assert client and passive and storage and admin
    assert (client["Address"], client["Port"]) == ("127.0.0.1", 9102)
    assert passive["Passive"] is True
    assert (storage["Address"], storage["Port"], storage["Device"], storage["Media Type"]) == (
        "127.0.0.1",
        9103,
        ("FileStorage",),
        "File",
    )

    job = dird.get("job", "backup-bareos-fd")
    assert job is not None
    assert (
        job["Type"],
        job["Client"],
        job["FileSet"],
        job["Storage"],
        job["Pool"],
        job["Messages"],
    ) == (
        "Backup",
        "bareos-fd",
        "LabSet",
        ("bareos-sd",),
        "Full",
        "Standard",
    )
    fileset = dird.get("fileset", "LabSet")
    assert fileset is not None and fileset.includes[0][1] == ["/tmp/bareosnet-lab/data"]
    assert dird.get("job", "RestoreFiles")["Type"] == "Restore"  # type: ignore[index]

    # the SD
    me_sd = sd.own()
    assert (me_sd.name, me_sd["Address"], me_sd["Port"]) == ("bareos-sd", "127.0.0.1", 9103)
    device = sd.get("device", "FileStorage")
    assert (
        device
        and device["Archive Device"] == "/tmp/bareosnet-lab/storage"
        and device["Media Type"] == "File"
    )
    # the FD
    me_fd = fd.own()
    assert (me_fd.name, me_fd["Address"], me_fd["Port"]) == ("bareos-fd", "127.0.0.1", 9102)

    # passwords agree across the four trees
    assert con.own().password == director.password
    assert fd.get("director", "bareos-dir").password == client.password == passive.password  # type: ignore[union-attr]
    assert sd.get("director", "bareos-dir").password == storage.password  # type: ignore[union-attr]
    assert con.get("console", "admin").password == admin.password  # type: ignore[union-attr]
    distinct = {director.password, client.password, storage.password, admin.password}
    assert len(distinct) == 4 and all(isinstance(p, Password) for p in distinct)

    # default TLS (PSK) everywhere: enabled and required, no certificates
    for res in (director, client, passive, storage, admin, me_sd, me_fd, con.own()):
        assert res.tls.enable and res.tls.require and not res.tls.has_certificate


def test_lab_files_have_a_comment_header() -> None:
    for path in sorted(LAB.rglob("*.conf")):
        assert path.read_text().startswith("# bareosnet lab"), path
