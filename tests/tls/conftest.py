from __future__ import annotations

from pathlib import Path

import pytest

from tests.tls.pki import Pki, make_pki

USER_AGENT = "R_CONSOLE\x1e*UserAgent*"
# md5 hex of "secret", as ASCII bytes: what Bareos uses as the PSK (reference 2.3).
SECRET_KEY = b"5ebe2294ecd0e0f08eab7690d2a6ee69"


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(Path(tmp_path_factory.mktemp("pki")))


@pytest.fixture(scope="session")
def other_pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    """A second, unrelated CA (for "untrusted" cases)."""
    return make_pki(Path(tmp_path_factory.mktemp("other-pki")))
