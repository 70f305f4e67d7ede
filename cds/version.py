"""The service's version: the installed distribution's, else pyproject.toml's (a source checkout).

Shown by ``/healthz``, in the discovery document's ``extension`` and in ``/openapi.json``, so an
operator can tell which build answers. Read once per process.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

DISTRIBUTION = "pakkeforlop-cds"
# The key of the discovery document's extension that carries the version (CDS Hooks §Extensions:
# namespaced keys, like the card-type extension of cds.render.budget).
VERSION_EXTENSION = "no.pakkeforlop-cds.version"
_PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"
UNKNOWN = "0+unknown"


@cache
def service_version() -> str:
    """``pakkeforlop-cds``'s version: installed metadata, pyproject.toml, or ``0+unknown``."""
    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        return _pyproject_version(_PYPROJECT)


def _pyproject_version(path: Path) -> str:
    try:
        project = tomllib.loads(path.read_text(encoding="utf-8")).get("project", {})
    except (OSError, tomllib.TOMLDecodeError):
        return UNKNOWN
    value = project.get("version") if isinstance(project, dict) else None
    return value if isinstance(value, str) and value else UNKNOWN
