"""The session's environments share their bytecode through its uv cache.

uv links every installed file from its cache (hard links on one filesystem), and links whatever
the cache's unpacked wheel holds, ``__pycache__`` included. The renders are built without
bytecode (``UV_COMPILE_BYTECODE=0`` in ``tests.rendering.project_env``), so the first run in
each new ``.venv`` compiles every module it imports: the unit and contract layers of a fresh
default render took 29.2 s with coverage, 17.9 s once their ``.pyc`` existed. The session builds
about 45 environments.

After a command in a render, ``share_bytecode`` links the ``.pyc`` files it wrote back into the
cache entries their sources came from; environments built later get them. Only a ``.pyc`` that
records its source's own mtime and size is shared: the source is the same file (one inode), so
Python's check holds in every environment, and CPython's loader gives the code the path it was
loaded from. pytest's rewritten ``.pyc`` files are not shared: pytest keeps the path of the
environment that compiled them, which tracebacks and Hypothesis read. A ``.pyc`` never replaces
one the cache has, and the service's own code (an editable install, outside ``site-packages``)
is never touched. Where uv copies instead of linking (``UV_LINK_MODE=copy``, a cache on another
filesystem) nothing is shared. uv has no setting for this: ``--compile-bytecode`` compiles into
each environment, not into the cache.

Only the meta suite shares, into its own session's cache (``share_into``, from conftest.py):
``tests.rendering.run`` is also used by ``make bench``, which must leave a developer's cache as
it found it.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path

ARCHIVES = "archive-v0"
# A .pyc starts with 16 bytes: magic, flags (0: validated by source mtime and size), mtime, size.
HEADER = 16
_session_cache: Path | None = None


def share_into(cache: Path) -> None:
    """Share the bytecode of later runs into ``cache``, this session's uv cache."""
    global _session_cache  # one switch per process, set once by conftest.py
    _session_cache = cache.resolve()


def share_after_run(cwd: Path, env: Mapping[str, str]) -> int:
    """Share what a command just run in ``cwd`` with ``env`` compiled, if it used the session's
    cache by linking; return how many files were shared."""
    venv, cache = cwd / ".venv", env.get("UV_CACHE_DIR")
    if _session_cache is None or cache is None or not venv.is_dir():
        return 0
    if env.get("UV_LINK_MODE", "hardlink") != "hardlink":
        return 0
    if (cwd / cache).resolve() != _session_cache:
        return 0
    return share_bytecode(venv, _session_cache)


def _archives_by_top_level(cache: Path) -> dict[str, list[Path]]:
    """The cache's unpacked wheels, by the top-level names each one installs."""
    tops: dict[str, list[Path]] = defaultdict(list)
    try:
        archives = list((cache / ARCHIVES).iterdir())
    except OSError:
        return tops
    for archive in archives:
        try:
            for entry in archive.iterdir():
                tops[entry.name].append(archive)
        except OSError:
            continue  # not a directory, or pruned meanwhile
    return tops


def _cache_twin(source: Path, site: Path, tops: dict[str, list[Path]]) -> Path | None:
    """The cache's file that ``source`` (in ``site``) is a link of, if any."""
    relative = source.relative_to(site)
    own = source.stat()
    for archive in tops.get(relative.parts[0], ()):
        twin = archive / relative
        try:
            if os.path.samestat(twin.stat(), own):
                return twin
        except OSError:
            continue
    return None


def _records(compiled: Path, source: os.stat_result) -> bool:
    """Whether ``compiled`` is validated by, and matches, ``source``'s mtime and size."""
    with compiled.open("rb") as pyc:
        header = pyc.read(HEADER)
    if len(header) < HEADER:
        return False
    flags = int.from_bytes(header[4:8], "little")
    mtime = int.from_bytes(header[8:12], "little")
    size = int.from_bytes(header[12:16], "little")
    return (
        flags == 0
        and mtime == int(source.st_mtime) & 0xFFFFFFFF
        and size == source.st_size & 0xFFFFFFFF
    )


def share_bytecode(venv: Path, cache: Path) -> int:
    """Link into ``cache`` the ``.pyc`` files written in ``venv`` since it was built."""
    linked = 0
    tops: dict[str, list[Path]] | None = None
    for site in venv.glob("lib/python*/site-packages"):
        for folder, _, files in os.walk(site):
            if not folder.endswith("__pycache__"):
                continue
            for name in files:
                # `routing.cpython-313.pyc`; pytest's are `conftest.cpython-313-pytest-9.2.0.pyc`.
                if not name.endswith(".pyc") or "-pytest-" in name:
                    continue
                compiled = Path(folder, name)
                source = compiled.parent.parent / f"{name.split('.', 1)[0]}.py"
                try:
                    own = source.stat()
                    if compiled.stat().st_nlink > 1 or own.st_nlink < 2:
                        continue  # already shared, or a source uv copied rather than linked
                    if not _records(compiled, own):
                        continue
                    tops = _archives_by_top_level(cache) if tops is None else tops
                    twin = _cache_twin(source, site, tops)
                    if twin is None:
                        continue
                    target = twin.parent / "__pycache__" / name
                    target.parent.mkdir(exist_ok=True)
                    os.link(compiled, target)
                except OSError:
                    continue  # gone meanwhile, shared by another environment, or read-only
                linked += 1
    return linked
