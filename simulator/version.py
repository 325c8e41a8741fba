"""sandex's version, read from the installed package's metadata: ``pyproject.toml`` is its one source,
and ``sandex --version``, the OpenAPI description and the client's User-Agent all read it here."""

from __future__ import annotations

from importlib import metadata


def _installed_version() -> str:
    try:
        return metadata.version("sandex")
    except metadata.PackageNotFoundError:  # a source tree run without being installed
        return "0+unknown"


VERSION = _installed_version()
