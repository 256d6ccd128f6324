"""The session's environments share their bytecode through uv's cache.

uv links every installed file from its cache (hard links on one filesystem), and links whatever
the cache's unpacked wheel holds, ``__pycache__`` included. The renders are built without
bytecode (``UV_COMPILE_BYTECODE=0`` in ``tests.rendering.project_env``), so the first run in
each new ``.venv`` compiles every module it imports and pytest rewrites every module of its
plugin packages (Hypothesis, schemathesis): 13 s of CPU for the unit and contract layers of a
fresh default render, against a run whose ``.pyc`` exist. The session builds about 45
environments.

After a run, ``share_bytecode`` links the ``.pyc`` files that run wrote back into the cache
entries their sources came from; each later environment is built with them. The source is the
same file (one inode), so Python's and pytest's checks of a ``.pyc`` against its source's mtime
and size hold. A ``.pyc`` never replaces one the cache has, and the service's own code (an
editable install, outside ``site-packages``) is never touched. uv has no setting for this: its
``--compile-bytecode`` compiles into each environment, not into the cache.
"""

from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path

ARCHIVES = "archive-v0"


def _sources_by_top_level(cache: Path) -> dict[str, list[Path]]:
    """The cache's unpacked wheels, by the top-level names each one installs."""
    archives = cache / ARCHIVES
    tops: dict[str, list[Path]] = defaultdict(list)
    if not archives.is_dir():
        return tops
    for archive in archives.iterdir():
        if archive.is_dir():
            for entry in archive.iterdir():
                tops[entry.name].append(archive)
    return tops


def _cache_twin(source: Path, site: Path, tops: dict[str, list[Path]]) -> Path | None:
    """The cache's file that ``source`` (in ``site``) is a link of, if any."""
    relative = source.relative_to(site)
    inode = source.stat().st_ino
    for archive in tops.get(relative.parts[0], ()):
        twin = archive / relative
        try:
            if twin.stat().st_ino == inode:
                return twin
        except FileNotFoundError:
            continue
    return None


def share_bytecode(venv: Path, cache: Path) -> int:
    """Link into ``cache`` the ``.pyc`` files written in ``venv`` since it was built."""
    linked = 0
    tops: dict[str, list[Path]] | None = None
    for site in venv.glob("lib/python*/site-packages"):
        for folder, _, files in os.walk(site):
            if not folder.endswith("__pycache__"):
                continue
            for name in files:
                compiled = Path(folder, name)
                # `routing.cpython-313.pyc`, `conftest.cpython-313-pytest-9.2.0.pyc`.
                source = compiled.parent.parent / f"{name.split('.', 1)[0]}.py"
                if not name.endswith(".pyc") or not source.is_file():
                    continue
                if compiled.stat().st_nlink > 1 or source.stat().st_nlink < 2:
                    continue  # already shared, or a source uv copied rather than linked
                tops = _sources_by_top_level(cache) if tops is None else tops
                twin = _cache_twin(source, site, tops)
                if twin is None:
                    continue
                target = twin.parent / "__pycache__" / name
                try:
                    target.parent.mkdir(exist_ok=True)
                    os.link(compiled, target)
                except OSError:
                    continue  # another environment shared it first, or the cache is read-only
                linked += 1
    return linked
