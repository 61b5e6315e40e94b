"""JAX's persistent compilation cache for featlearn (switched on at import).

Almost all of a default run's first-time wall time is XLA compilation (about 250 compiled programs, ~15 s
of a ~24 s run on 2 cores); the programs depend only on the problem's shapes and the config, so a second
run of the same or a similar problem loads them from disk instead (the default run: ~12 s).

- On unless the cache directory is already set (`JAX_COMPILATION_CACHE_DIR` or
  `jax.config.update("jax_compilation_cache_dir", ...)` before importing featlearn: yours is kept), or
  `FEATLEARN_COMPILE_CACHE` is `0`, `off` or `false`. `FEATLEARN_COMPILE_CACHE=/some/dir` chooses the
  directory; the default is `$XDG_CACHE_HOME/featlearn/jax` (`~/.cache/featlearn/jax`).
- Bounded: at import, when the directory holds more than `MAX_BYTES`, the least recently written entries
  are deleted down to half of it. Deleting the directory is always safe.
- Entries are keyed by JAX on the compiled program, the JAX version, the backend and its flags; a stale
  or unreadable entry is compiled again (JAX warns).
"""

from __future__ import annotations

import os
from pathlib import Path

MAX_BYTES = 1 << 30  # 1 GiB


def default_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "featlearn" / "jax"


def prune(path: Path, max_bytes: int = MAX_BYTES) -> int:
    """Delete the oldest files of `path` until it holds at most max_bytes / 2, if it holds more than
    max_bytes; returns the bytes deleted."""
    try:
        files = [(f.stat().st_mtime, f.stat().st_size, f) for f in path.iterdir() if f.is_file()]
    except OSError:
        return 0
    total = sum(s for _, s, _ in files)
    if total <= max_bytes:
        return 0
    freed = 0
    for _, size, f in sorted(files):
        if total - freed <= max_bytes // 2:
            break
        try:
            f.unlink()
            freed += size
        except OSError:
            pass
    return freed


def enable(jax) -> Path | None:
    """Switch the cache on (module docstring); returns its directory, or None when it stays off or is
    the user's own."""
    choice = os.environ.get("FEATLEARN_COMPILE_CACHE", "")
    if choice.strip().lower() in ("0", "off", "false", "no"):
        return None
    if jax.config.jax_compilation_cache_dir:  # the user's own cache
        return None
    path = Path(choice).expanduser() if choice.strip() else default_dir()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None  # a read-only home: run without the cache
    prune(path)
    jax.config.update("jax_compilation_cache_dir", str(path))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    return path
