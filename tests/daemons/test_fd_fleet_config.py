"""The pure part of ``bareos-fd-emu --fleet``: names, layouts, persona mix, member configs."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bareosnet.config import load_config
from bareosnet.proto.hello import Persona
from daemons.filedaemon import fleet_config as fc
from tests.daemons.conftest import Bare, write_config


def test_persona_mix_parses_percentages() -> None:
    assert fc.parse_persona_mix("26=50,17.2=50") == ((Persona.V26, 50), (Persona.V17_2, 50))
    assert fc.parse_persona_mix(" 18.2=100 ") == ((Persona.V18_2, 100),)


@pytest.mark.parametrize(("text", "error"), [
    ("26=50", "sum to 50, not 100"),
    ("26", "is not PERSONA=PERCENT"),
    ("26=x,17.2=100", "is not a whole number"),
    ("26=50,26=50", "given twice"),
    ("9=100", "unknown persona"),
    ("26=150,17.2=-50", "negative share"),
])  # fmt: skip
def test_persona_mix_errors_say_what_is_wrong(text: str, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        fc.parse_persona_mix(text)


def test_personas_are_interleaved_and_exact_per_hundred() -> None:
    mix = fc.parse_persona_mix("26=50,17.2=50")
    got = fc.assign_personas(mix, 6)
    assert got == [Persona.V26, Persona.V17_2] * 3
    three = fc.assign_personas(fc.parse_persona_mix("26=50,18.2=25,17.2=25"), 400)
    assert Counter(three) == {Persona.V26: 200, Persona.V18_2: 100, Persona.V17_2: 100}
    assert Counter(three[:8]) == {Persona.V26: 4, Persona.V18_2: 2, Persona.V17_2: 2}


@given(st.lists(st.integers(0, 100), min_size=1, max_size=4).filter(lambda w: sum(w) > 0),
       st.integers(1, 700))  # fmt: skip
def test_any_prefix_of_the_fleet_follows_the_mix(weights: list[int], count: int) -> None:
    personas = list(Persona)[: len(weights)]
    total = sum(weights)
    mix = [(p, w) for p, w in zip(personas, weights, strict=False)]
    got = Counter(fc.assign_personas(mix, count))
    for p, w in mix:
        assert abs(got[p] - count * w / total) < len(mix), (mix, count, got)


def test_member_names_have_five_digits_or_more() -> None:
    assert fc.member_name("fd", 1, 10) == "fd-00001"
    assert fc.member_name("fd", 99999, 99999) == "fd-99999"
    assert fc.member_name("fd", 7, 100000) == "fd-000007"


def test_port_and_address_layouts() -> None:
    ps = [Persona.V26] * 3
    by_port = fc.plan_fleet("fd", 3, host="127.0.0.1", port=9102, personas=ps)
    assert [(m.name, m.host, m.port) for m in by_port] == [
        ("fd-00001", "127.0.0.1", 9102), ("fd-00002", "127.0.0.1", 9103),
        ("fd-00003", "127.0.0.1", 9104)]  # fmt: skip
    by_addr = fc.plan_fleet("fd", 300, host=None, port=9102, personas=ps * 100,
                            first_address="127.0.0.250")  # fmt: skip
    assert [(m.host, m.port) for m in by_addr[:2]] == [("127.0.0.250", 9102), ("127.0.0.251", 9102)]
    assert by_addr[-1].host == "127.0.2.37"  # 250 + 299 = 2 * 256 + 37
    with pytest.raises(ValueError, match="use --fleet-addresses"):
        fc.plan_fleet("fd", 100, host=None, port=65500, personas=[Persona.V26] * 100)
    with pytest.raises(ValueError, match="leaves the loopback network"):
        fc.plan_fleet("fd", 2, host=None, port=1, personas=ps[:2], first_address="127.255.255.255")


def _base(tmp_path: Path, persona: str = "26") -> object:
    root = write_config(tmp_path / "fd", "bareos-fd.d", [
        ("Client", {"Name": "fd", "FD Port": 9102, "FD Address": Bare("127.0.0.1")}),
        ("Director", {"Name": "mon", "Password": "m", "Monitor": True}),
        ("Director", {"Name": "bareos-dir", "Password": "secret"}),
    ])  # fmt: skip
    return load_config(root, daemon="fd", persona=persona)


def test_member_config_changes_only_the_own_resource(tmp_path: Path) -> None:
    base = _base(tmp_path)
    m = fc.FleetMember(7, "fd-00007", "127.0.0.1", 9108, Persona.V26)
    cfg = fc.member_config(base, m)
    own = cfg.own()  # type: ignore[attr-defined]
    assert own.name == "fd-00007" and own.listen_addresses() == (("127.0.0.1", 9108),)
    assert base.own().name == "fd"  # type: ignore[attr-defined]
    # Everything else is the base's objects, not copies (memory: thousands of members).
    assert own.tls is base.own().tls  # type: ignore[attr-defined]
    assert cfg.all("Director") == base.all("Director")  # type: ignore[attr-defined]
    assert all(a is b for a, b in zip(cfg.all("Director"), base.all("Director"), strict=True))  # type: ignore[attr-defined]


def test_client_resources_match_what_members_accept(tmp_path: Path) -> None:
    base26, base17 = _base(tmp_path / "a"), _base(tmp_path / "b", "17.2")
    members = fc.plan_fleet("fd", 2, host=None, port=9102, personas=[Persona.V26, Persona.V17_2])
    dirs = {Persona.V26: fc.director_resource(base26), Persona.V17_2: fc.director_resource(base17)}
    out = tmp_path / "dir"
    stale = fc.client_directory(out)
    stale.mkdir(parents=True)
    (stale / "fd-00009.conf").write_text(fc.MARKER + " (old)\nClient {\n}\n")
    (stale / "mine.conf").write_text("Client {\n  Name = mine\n}\n")
    assert fc.write_client_resources(out, members, dirs, 2) == (2, 1)
    assert sorted(p.name for p in stale.iterdir()) == [
        "fd-00001.conf",
        "fd-00002.conf",
        "mine.conf",
    ]
    first = (stale / "fd-00001.conf").read_text()
    md5 = dirs[Persona.V26].password.md5hex
    assert f'Password = "[md5]{md5}"' in first and "secret" not in first
    assert "Address = 127.0.0.1\n" in first and "Port = 9102\n" in first
    assert "TLS Enable = yes\n" in first and "TLS Require = yes\n" in first
    second = (stale / "fd-00002.conf").read_text()
    assert (
        "Port = 9103\n" in second and "TLS Require = no\n" in second and "TLS Enable" not in second
    )
    assert (stale / "fd-00001.conf").stat().st_mode & 0o777 == 0o640
