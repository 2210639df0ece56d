"""FileSet items the File daemon expands itself: ``F |program`` and ``F <file``.

A Director sends ``File = "\\\\|command"`` / ``File = "\\\\<file"`` of its
configuration as ``F |command`` / ``F <file`` (it strips one backslash and
expands the unescaped forms itself).  The FD expands them while it reads the
fileset (Bareos ``filed/fileset.cc`` ``AddFileToFileset``): every output line
of the program, or every line of the file, becomes one item, trailing white
space stripped.  A program that cannot start or exits non-zero, or a file that
cannot be opened, is a fatal job error with Bareos's wording; the items read
so far stay.

The program is split into arguments like a shell would quote them and run
without a shell, as Bareos's ``OpenBpipe`` does; ``%%``, ``%i`` (JobId),
``%j`` (Job) and ``%c`` (Client) are replaced first.  Its run is bounded by
a timeout (a hung program must not hold the job forever).
"""

from __future__ import annotations

import os
import shlex
import subprocess

import attrs
import structlog
import trio

from bareosnet.proto.fileset import FileSet, IncludeExclude

log = structlog.get_logger("bareos.fd.fileset")

PROGRAM_TIMEOUT = 300.0


@attrs.frozen
class Expanded:
    fileset: FileSet
    errors: tuple[str, ...]  # fatal job message texts, in order


def job_codes(text: str, *, job_id: int, job: str, client: str) -> str:
    """Bareos ``edit_job_codes`` for the codes a File daemon knows."""
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "%" and i + 1 < len(text):
            code = text[i + 1]
            value = {"%": "%", "i": str(job_id), "j": job, "c": client}.get(code)
            if value is not None:
                out.append(value)
                i += 2
                continue
        out.append(ch)
        i += 1
    return "".join(out)


def _lines(data: bytes) -> list[str]:
    text = data.decode("utf-8", "surrogateescape")
    return [line.rstrip(" \t\r\n\v\f") for line in text.splitlines()]


async def _program(command: str, timeout: float) -> tuple[list[str], str | None]:
    try:
        argv = shlex.split(command)
    except ValueError as exc:
        return [], f"Cannot run program: {command}. ERR={exc}\n"
    if not argv:
        return [], f"Cannot run program: {command}. ERR=empty command\n"
    try:
        with trio.fail_after(timeout):
            done = await trio.run_process(
                argv, capture_stdout=True, stderr=subprocess.DEVNULL, check=False,
                stdin=subprocess.DEVNULL,
            )  # fmt: skip
    except OSError as exc:
        return [], f"Cannot run program: {command}. ERR={os.strerror(exc.errno or 0)}\n"
    except trio.TooSlowError:
        return [], f"Error running program: {command}. status=-1: ERR=timeout after {timeout:g}s\n"
    lines = _lines(done.stdout)
    if done.returncode != 0:
        status = done.returncode
        return lines, (
            f"Error running program: {command}. status={status}: "
            f"ERR=Child exited with code {status}\n"
        )
    return lines, None


def _read_file(path: str) -> tuple[list[str], str | None]:
    try:
        with open(path, "rb") as f:
            return _lines(f.read()), None
    except OSError as exc:
        return [], (f"Cannot open FileSet input file: {path}. ERR={os.strerror(exc.errno or 0)}\n")


async def expand_items(
    fileset: FileSet,
    *,
    job_id: int,
    job: str,
    client: str,
    timeout: float = PROGRAM_TIMEOUT,
) -> Expanded:
    """The FileSet with every ``|program`` and ``<file`` item replaced by its lines."""
    errors: list[str] = []

    async def block(b: IncludeExclude) -> IncludeExclude:
        files: list[str] = []
        for item in b.files:
            if item.startswith("|"):
                command = job_codes(item[1:], job_id=job_id, job=job, client=client)
                lines, error = await _program(command, timeout)
                log.info("fileset.program", job=job, command=command, items=len(lines))
            elif item.startswith("<"):
                lines, error = await trio.to_thread.run_sync(_read_file, item[1:])
            else:
                files.append(item)
                continue
            files += [line for line in lines if line]
            if error is not None:
                errors.append(error)
        return attrs.evolve(b, files=files)

    includes = [await block(b) for b in fileset.includes]
    excludes = [await block(b) for b in fileset.excludes]
    return Expanded(FileSet(includes=includes, excludes=excludes), tuple(errors))
