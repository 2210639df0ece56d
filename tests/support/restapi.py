"""bareos-restapi (the PyPI FastAPI app over python-bareos) in-process, against an emulated Director.

The app reads ``api.ini`` from the current directory when it is imported and keeps the
Director's address in module globals; :func:`restapi_app` imports it once from a directory
holding a generated ``api.ini`` and :func:`point_at` re-aims those globals at a test lab's
Director.  :class:`RestApi` is a logged-in FastAPI ``TestClient`` (``POST /token`` as a named
console, then a bearer token on every call).
"""

from __future__ import annotations

import importlib
import os
import sys
import warnings
from pathlib import Path
from types import ModuleType
from typing import Any

import attrs

API_INI = """\
[Director]
Name={name}
Address=127.0.0.1
Port={port}

[JWT]
secret_key={secret}
algorithm=HS256
access_token_expire_minutes=30
"""


def restapi_app(workdir: Path, *, director: str, port: int) -> ModuleType:
    """Import ``bareos_restapi`` (once per process) with an ``api.ini`` written to ``workdir``."""
    if "bareos_restapi" not in sys.modules:
        workdir.mkdir(parents=True, exist_ok=True)
        (workdir / "api.ini").write_text(
            API_INI.format(name=director, port=port, secret=os.urandom(16).hex())
        )
        here = Path.cwd()
        os.chdir(workdir)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # its pydantic v1 style
                module = importlib.import_module("bareos_restapi")
        finally:
            os.chdir(here)
    module = sys.modules["bareos_restapi"]
    point_at(module, director=director, port=port)
    return module


def point_at(module: ModuleType, *, director: str, port: int) -> None:
    module.CONFIG_DIRECTOR_NAME = director  # type: ignore[attr-defined]
    module.CONFIG_DIRECTOR_PORT = port  # type: ignore[attr-defined]
    module.users_db.clear()  # type: ignore[attr-defined]


@attrs.define
class RestApi:
    """A ``TestClient`` logged in as ``username``; every call carries the bearer token."""

    client: Any
    token: str = ""

    def login(self, username: str, password: str) -> Any:
        r = self.client.post("/token", data={"username": username, "password": password})
        if r.status_code == 200:
            self.token = r.json()["access_token"]
        return r

    def call(self, method: str, path: str, **kw: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.token}", **kw.pop("headers", {})}
        return self.client.request(method, path, headers=headers, **kw)
