"""Entry points: find a program's configuration, parse it, check it.

``-c`` resolution follows Bareos's ``FindConfigPath``: a file is used as is;
for a directory ``DIR`` the program's main file ``DIR/<name>.conf`` is used if
it exists, otherwise every ``DIR/<name>.d/*/*.conf``.  That pattern is handed
to the scanner like an ``@include`` glob: by default the files are read in the
reverse sorted order real Bareos reads them in (its scanner pushes every match
on a stack; see :mod:`bareosnet.config.lexer`), so resource order -- e.g. what
``.clients`` lists -- is the real Director's; ``include_order="sorted"`` reads
them in sorted order.  ``cfg.resources`` keeps the reading order.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping

import attrs

from bareosnet.config.lexer import Lexer
from bareosnet.config.model import Config, Resource
from bareosnet.config.parser import Parser, check_required
from bareosnet.config.schema import PERSONAS, DaemonSchema, ItemSpec
from bareosnet.config.tables import SCHEMAS
from bareosnet.config.tables.legacy import LEGACY_ITEMS, LEGACY_PERSONAS
from bareosnet.errors import ConfigError


@functools.cache
def schema_for(daemon: str, persona: str = "26") -> DaemonSchema:
    """The schema of ``daemon``; old personas also accept directives removed in Bareos 23."""
    try:
        schema = SCHEMAS[daemon]
    except KeyError:
        raise ValueError(f"unknown daemon {daemon!r} (one of {', '.join(SCHEMAS)})") from None
    extra: Mapping[str, tuple[ItemSpec, ...]] = (
        LEGACY_ITEMS.get(daemon, {}) if persona in LEGACY_PERSONAS else {}
    )
    if not extra:
        return schema
    resources = tuple(
        attrs.evolve(spec, items=spec.items + extra.get(spec.name, ())) for spec in schema.resources
    )
    return attrs.evolve(schema, resources=resources)


def find_config_path(path: str | os.PathLike[str], daemon: str) -> str:
    """The file (or include glob) a program started with ``-c path`` reads."""
    schema = schema_for(daemon)
    path = os.fspath(path)
    if not os.path.exists(path):
        raise ConfigError(f'Failed to read config file "{path}"', path)
    if not os.path.isdir(path):
        return path
    main = os.path.join(path, schema.config_file)
    if os.path.exists(main):
        return main
    include_dir = os.path.join(path, schema.include_dir)
    if os.path.isdir(include_dir):
        return os.path.join(include_dir, "*", "*.conf")
    raise ConfigError(
        f'Failed to find configuration files under directory "{path}". Did look for "{main}" '
        f'(config file path) and "{include_dir}" (config include directory).',
        path,
    )


def load_config(
    path: str | os.PathLike[str],
    daemon: str = "dir",
    persona: str = "26",
    *,
    include_order: str = "bareos",
) -> Config:
    """Load the configuration of ``daemon`` ("dir", "sd", "fd", "console", "tray-monitor")."""
    _check_persona(persona)
    schema = schema_for(daemon, persona)
    source = find_config_path(path, daemon)
    lexer = Lexer(pattern=source, include_order=include_order)
    return _parse(lexer, schema, persona, source)


def parse_string(
    text: str,
    daemon: str = "dir",
    filename: str = "<string>",
    persona: str = "26",
    *,
    include_order: str = "bareos",
) -> Config:
    """Parse configuration text (``@include`` lines still read files)."""
    _check_persona(persona)
    schema = schema_for(daemon, persona)
    lexer = Lexer(text=text, filename=filename, include_order=include_order)
    return _parse(lexer, schema, persona, filename)


def _check_persona(persona: str) -> None:
    if persona not in PERSONAS:
        raise ValueError(f"unknown persona {persona!r} (one of {', '.join(PERSONAS)})")


def _parse(lexer: Lexer, schema: DaemonSchema, persona: str, source: str) -> Config:
    parser = Parser(lexer, schema, persona)
    resources = parser.parse()
    warnings = list(parser.warnings)
    _link_jobdefs(resources)
    _check_references(resources, parser.references)
    if schema.daemon == "dir":
        warnings.extend(_check_jobs(resources))
    return Config(
        daemon=schema.daemon,
        source=source,
        files=tuple(lexer.files),
        warnings=tuple(warnings),
        resources=tuple(resources),
        persona=persona,
        schema=schema,
    )


def _find(resources: list[Resource], type_name: str, name: str) -> Resource | None:
    for res in resources:
        if res.type == type_name and res.name == name:
            return res
    return None


def _link_jobdefs(resources: list[Resource]) -> None:
    for res in resources:
        if res.type in ("Job", "JobDefs") and "JobDefs" in res._values:
            parent = _find(resources, "JobDefs", res._values["JobDefs"])
            if parent is not None and parent is not res:
                res._parent = parent
                res._tls = None


def _check_references(
    resources: list[Resource], references: list[tuple[Resource, str, str, str, str, int]]
) -> None:
    for _res, item_name, target, name, fname, line in references:
        if _find(resources, target, name) is None:
            raise ConfigError(
                f'Could not find config resource "{name}" referenced by {item_name} '
                f"(no {target} of that name)",
                fname,
                line,
            )


def _check_jobs(resources: list[Resource]) -> list[str]:
    """What the Director checks once JobDefs are applied (``JobResource::Validate``)."""
    warnings: list[str] = []
    for job in resources:
        if job.type != "Job":
            continue
        check_required(job)
        if job.get("Type") not in ("Copy", "Migrate"):
            for directive in ("Client", "FileSet"):
                if job.get(directive) is None:
                    raise ConfigError(
                        f'"{directive.lower()}" directive in Job "{job.name}" resource is '
                        "required, but not found.",
                        job.file,
                        job.line,
                    )
            pool = _find(resources, "Pool", job.get("Pool"))
            if not job.get("Storage") and (pool is None or not pool.get("Storage")):
                raise ConfigError(
                    f'No storage specified in Job "{job.name}" nor in Pool.', job.file, job.line
                )
        if job.get("Level") == "Base":
            warnings.append(
                f"{job.file}:{job.line}: Job \"{job.name}\" has level 'Base' which is deprecated!"
            )
    return warnings


__all__ = ["find_config_path", "load_config", "parse_string", "schema_for"]
