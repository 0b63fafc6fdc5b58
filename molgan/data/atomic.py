"""Crash-safe writes: a file or a directory is built under a temporary name beside its target, synced
and renamed into place, so a killed process leaves the old version or the new one, never half of one."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from molgan.errors import InputError


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike, *, overwrite: bool = True) -> Iterator[Path]:
    """Yield a temporary path beside ``path`` to write; on success it is synced and renamed onto ``path``.

    The file gets the mode of the file it replaces, else the mode ``open()`` gives a new file. On an
    exception inside the block the temporary file is removed and ``path`` is untouched. With
    ``overwrite=False`` a ``path`` that exists when the block ends is refused (:class:`InputError`).
    """
    path = Path(path)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        if not overwrite and path.exists():
            raise InputError(f"{path} exists; use --force to overwrite")
        with contextlib.suppress(OSError):
            os.chmod(tmp, file_mode(path))  # mkstemp created it 0600
        sync_files([tmp])
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def file_mode(path: Path) -> int:
    """The mode of the file at ``path``, else what ``open()`` would give a new file (0666 minus the umask)."""
    if path.exists():
        return path.stat().st_mode & 0o7777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


@contextlib.contextmanager
def atomic_dir(directory: str | os.PathLike, *, marker: str) -> Iterator[Path]:
    """Yield an empty staging directory beside ``directory`` to fill; on success it replaces ``directory``.

    The swap is two renames: the old directory to ``.NAME.old``, then the staging one into place (the old
    one is removed after). A process killed between them leaves ``.NAME.old``, which the next
    :func:`atomic_dir` or :func:`recover_dir` on the same path puts back. ``marker`` is a file every
    complete directory holds. On an exception inside the block the staging directory is removed.
    """
    directory = Path(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    recover_dir(directory, marker=marker)
    for stale in directory.parent.glob(f".{directory.name}.staging-*"):
        shutil.rmtree(stale, ignore_errors=True)  # left by a save that was killed part-way
    staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}.staging-", dir=directory.parent))
    try:
        yield staging
        sync_files(sorted(staging.iterdir()))
        _swap_in(staging, directory)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def recover_dir(directory: str | os.PathLike, *, marker: str) -> bool:
    """If a swap was killed between its two renames, put the previous directory back; True if it did."""
    directory = Path(directory)
    old = _old(directory)
    if not directory.exists() and (old / marker).is_file():
        os.replace(old, directory)
        return True
    return False


def sync_files(paths: list[Path]) -> None:
    """Flush each file's data to disk."""
    for item in paths:
        with open(item, "rb") as handle:
            os.fsync(handle.fileno())


def _old(directory: Path) -> Path:
    return directory.with_name(f".{directory.name}.old")


def _swap_in(staging: Path, directory: Path) -> None:
    if directory.exists():
        old = _old(directory)
        shutil.rmtree(old, ignore_errors=True)
        os.replace(directory, old)
        os.replace(staging, directory)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(staging, directory)
