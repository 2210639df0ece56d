"""The two OpenSSL settings Python's ``ssl`` cannot set: TLS 1.3 suites and ``Protocol``.

Theory of operation
-------------------
Bareos passes ``TLS Cipher Suites`` to ``SSL_CTX_set_ciphersuites`` and ``TLS
Protocol`` to ``SSL_CONF_cmd(ctx, "Protocol", value)``.  Python's ``ssl`` has
neither, so this module calls those two functions through ``ctypes`` on the
``SSL_CTX`` that an ``ssl.SSLContext`` wraps.  That is only safe if two things
hold, and both are checked at run time; any doubt raises
``TlsError(cause="config")`` instead of guessing:

1. *Same library.*  The functions are looked up through the ``_ssl``
   extension's own handle (``dlsym`` on a handle searches the object and the
   libraries it was linked against), so they come from the libssl/libcrypto
   that ``_ssl`` uses.  ``OpenSSL_version(0)`` and ``OpenSSL_version_num()`` of
   what was loaded must equal ``ssl.OPENSSL_VERSION`` and
   ``ssl.OPENSSL_VERSION_NUMBER``.
2. *Right pointer.*  CPython's ``PySSLContext`` starts with ``PyObject_HEAD``
   followed by ``SSL_CTX *ctx``; the pointer is read at offset
   ``object.__basicsize__``.  Once per process a probe context proves it in
   both directions (a cipher list set by Python is read back through the
   pointer, and TLS 1.3 suites set through the pointer are seen by Python's
   ``get_ciphers()``).  Every later use compares the full cipher list read
   through the pointer with ``get_ciphers()`` again before writing anything.

OpenSSL's thread-local error queue is drained after every call so that no
error of ours is later reported by an unrelated ``ssl`` call.
"""

from __future__ import annotations

import ctypes
import ssl
import threading
from collections.abc import Callable
from typing import Any

from bareosnet.errors import TlsError

# SSL_CONF_CTX_set_flags values (openssl/ssl.h); the same set Bareos uses.
_SSL_CONF_FLAG_FILE = 0x2
_SSL_CONF_FLAG_CLIENT = 0x4
_SSL_CONF_FLAG_SERVER = 0x8
_SSL_CONF_FLAG_SHOW_ERRORS = 0x10

_PROBE_CIPHER = "ECDHE-PSK-CHACHA20-POLY1305"
_PROBE_SUITE = "TLS_AES_128_GCM_SHA256"


class _LibSsl:
    """The handful of libssl/libcrypto functions we call, with their C types."""

    def __init__(self, lib: ctypes.CDLL) -> None:
        vp, cp = ctypes.c_void_p, ctypes.c_char_p

        def fn(name: str, restype: Any, *argtypes: Any) -> Callable[..., Any]:
            try:
                f = getattr(lib, name)
            except AttributeError:
                raise TlsError(
                    f"OpenSSL function {name} is not reachable through the _ssl module; "
                    "TLS Cipher Suites / TLS Protocol cannot be applied",
                    cause="config",
                ) from None
            f.restype = restype
            f.argtypes = list(argtypes)
            return f  # type: ignore[no-any-return]

        self.version = fn("OpenSSL_version", cp, ctypes.c_int)
        self.version_num = fn("OpenSSL_version_num", ctypes.c_ulong)
        self.ctx_get_ciphers = fn("SSL_CTX_get_ciphers", vp, vp)
        self.sk_num = fn("OPENSSL_sk_num", ctypes.c_int, vp)
        self.sk_value = fn("OPENSSL_sk_value", vp, vp, ctypes.c_int)
        self.cipher_get_name = fn("SSL_CIPHER_get_name", cp, vp)
        self.ctx_set_ciphersuites = fn("SSL_CTX_set_ciphersuites", ctypes.c_int, vp, cp)
        self.ctx_get_options = fn("SSL_CTX_get_options", ctypes.c_uint64, vp)
        self.conf_new = fn("SSL_CONF_CTX_new", vp)
        self.conf_free = fn("SSL_CONF_CTX_free", None, vp)
        self.conf_set_flags = fn("SSL_CONF_CTX_set_flags", ctypes.c_uint, vp, ctypes.c_uint)
        self.conf_set_ssl_ctx = fn("SSL_CONF_CTX_set_ssl_ctx", None, vp, vp)
        self.conf_cmd = fn("SSL_CONF_cmd", ctypes.c_int, vp, cp, cp)
        self.err_get = fn("ERR_get_error", ctypes.c_ulong)
        self.err_string = fn("ERR_error_string_n", None, ctypes.c_ulong, cp, ctypes.c_size_t)

    def drain_errors(self) -> list[str]:
        """Empty OpenSSL's error queue, returning its messages."""
        out: list[str] = []
        buf = ctypes.create_string_buffer(256)
        while code := self.err_get():
            self.err_string(code, buf, len(buf))
            out.append(buf.value.decode("ascii", "replace"))
        return out

    def cipher_names(self, ctx_ptr: int) -> list[str]:
        stack = self.ctx_get_ciphers(ctx_ptr)
        if not stack:
            return []
        names = []
        for i in range(self.sk_num(stack)):
            name = self.cipher_get_name(self.sk_value(stack, i))
            names.append(name.decode("ascii") if name else "")
        return names


_lock = threading.Lock()
_lib: _LibSsl | None = None


def _load_library() -> _LibSsl:
    import _ssl  # the extension module whose OpenSSL we must use

    path = getattr(_ssl, "__file__", None)
    try:
        # No file: _ssl is built into the interpreter, whose global namespace has the symbols.
        handle = ctypes.CDLL(path) if path else ctypes.CDLL(None)
    except OSError as exc:
        raise TlsError(
            f"cannot open the _ssl extension with ctypes: {exc}", cause="config"
        ) from exc
    lib = _LibSsl(handle)
    loaded = (lib.version(0) or b"").decode("ascii", "replace")
    if loaded != ssl.OPENSSL_VERSION or lib.version_num() != ssl.OPENSSL_VERSION_NUMBER:
        raise TlsError(
            f"OpenSSL reached through ctypes is {loaded!r} but Python's ssl uses "
            f"{ssl.OPENSSL_VERSION!r}; refusing to touch its SSL_CTX",
            cause="config",
        )
    return lib


def _raw_ctx_pointer(ctx: ssl.SSLContext) -> int:
    import _ssl

    if not isinstance(ctx, _ssl._SSLContext):
        raise TlsError(f"not an ssl.SSLContext: {type(ctx).__name__}", cause="config")
    offset = object.__basicsize__  # sizeof(PyObject): where PySSLContext.ctx sits
    if type(ctx).__basicsize__ < offset + ctypes.sizeof(ctypes.c_void_p):
        raise TlsError("unexpected PySSLContext layout", cause="config")
    ptr = ctypes.c_void_p.from_address(id(ctx) + offset).value
    if not ptr:
        raise TlsError("SSLContext has no SSL_CTX pointer where expected", cause="config")
    return ptr


def _python_cipher_names(ctx: ssl.SSLContext) -> list[str]:
    return [c["name"] for c in ctx.get_ciphers()]


def _tls13_names(ctx: ssl.SSLContext) -> list[str]:
    return [c["name"] for c in ctx.get_ciphers() if c["protocol"] == "TLSv1.3"]


def _verified_pointer(lib: _LibSsl, ctx: ssl.SSLContext) -> int:
    """The SSL_CTX* of ``ctx``, after checking that it reads back what Python sees."""
    ptr = _raw_ctx_pointer(ctx)
    through_pointer = lib.cipher_names(ptr)
    if not through_pointer or through_pointer != _python_cipher_names(ctx):
        raise TlsError(
            "the SSL_CTX pointer read from the SSLContext does not show the context's "
            "cipher list; the CPython layout is not what this binding expects",
            cause="config",
        )
    if lib.ctx_get_options(ptr) != ctx.options:
        raise TlsError("SSL_CTX options read through ctypes differ from Python's", cause="config")
    return ptr


def _prove_layout(lib: _LibSsl) -> None:
    """One probe context checked both ways before any real context is touched."""
    probe = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    probe.set_ciphers(_PROBE_CIPHER)
    ptr = _raw_ctx_pointer(probe)
    seen = lib.cipher_names(ptr)
    if _PROBE_CIPHER not in seen or seen != _python_cipher_names(probe):
        raise TlsError(
            "probe failed: a cipher list set through Python is not visible through the "
            "SSL_CTX pointer; TLS Cipher Suites / TLS Protocol are unavailable",
            cause="config",
        )
    ok = lib.ctx_set_ciphersuites(ptr, _PROBE_SUITE.encode())
    errors = lib.drain_errors()
    if ok != 1 or _tls13_names(probe) != [_PROBE_SUITE]:
        raise TlsError(
            "probe failed: TLS 1.3 suites set through the SSL_CTX pointer are not seen by "
            f"Python ({'; '.join(errors) or 'no OpenSSL error'})",
            cause="config",
        )


def binding() -> _LibSsl:
    """The checked binding; loaded and proven once per process."""
    global _lib
    with _lock:
        if _lib is None:
            lib = _load_library()
            _prove_layout(lib)
            _lib = lib
        return _lib


def set_ciphersuites(ctx: ssl.SSLContext, suites: str) -> None:
    """``TLS Cipher Suites``: the TLS 1.3 suites of ``ctx``, OpenSSL syntax (``A:B``).

    Raises ``TlsError(cause="config")`` when OpenSSL refuses the string or the
    suites it then shows differ from the request.
    """
    lib = binding()
    ptr = _verified_pointer(lib, ctx)
    ok = lib.ctx_set_ciphersuites(ptr, suites.encode("ascii", "replace"))
    errors = lib.drain_errors()
    if ok != 1:
        raise TlsError(
            f"TLS Cipher Suites {suites!r} rejected by OpenSSL "
            f"({'; '.join(errors) or 'no suite recognised'}); "
            "see `openssl ciphers -s -tls1_3`",
            cause="config",
        )
    # OpenSSL silently drops unknown names when at least one is valid; a typo
    # would then quietly narrow the list, so every name must have arrived.
    wanted = [s for s in suites.split(":") if s]
    got = _tls13_names(ctx)
    if set(got) != set(wanted):
        missing = sorted(set(wanted) - set(got))
        raise TlsError(
            f"TLS Cipher Suites {suites!r}: OpenSSL does not know {missing}; "
            f"the context would offer only {got}",
            cause="config",
        )


def apply_protocol(ctx: ssl.SSLContext, protocol: str) -> None:
    """``TLS Protocol``: OpenSSL's ``Protocol`` command, exactly as Bareos passes it.

    The value is a comma separated list such as ``-ALL,TLSv1.3`` or
    ``TLSv1.2,-TLSv1.1``; it toggles the ``SSL_OP_NO_*`` options of ``ctx``.
    """
    lib = binding()
    ptr = _verified_pointer(lib, ctx)
    conf = lib.conf_new()
    if not conf:
        lib.drain_errors()
        raise TlsError("SSL_CONF_CTX_new failed", cause="config")
    try:
        lib.conf_set_flags(
            conf,
            _SSL_CONF_FLAG_FILE
            | _SSL_CONF_FLAG_SHOW_ERRORS
            | _SSL_CONF_FLAG_CLIENT
            | _SSL_CONF_FLAG_SERVER,
        )
        lib.conf_set_ssl_ctx(conf, ptr)
        rc = lib.conf_cmd(conf, b"Protocol", protocol.encode("ascii", "replace"))
    finally:
        lib.conf_free(conf)
    errors = lib.drain_errors()
    if rc != 2:  # 2 = "command recognised and value used"
        raise TlsError(
            f"TLS Protocol {protocol!r} rejected by OpenSSL "
            f"({'; '.join(errors) or f'SSL_CONF_cmd returned {rc}'}); "
            "expected e.g. '-ALL,TLSv1.3' or 'TLSv1.2,-TLSv1.1'",
            cause="config",
        )
