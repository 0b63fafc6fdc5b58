"""How many worker processes: one rule for every ``jobs`` / ``n_jobs`` argument and ``--jobs`` flag.

``0`` or ``-1`` means every core this process may use; a positive number means that many
processes; any other negative number is an error.
"""

from __future__ import annotations

import multiprocessing
import os
import sys

from molgan.errors import InputError

#: The rule, as the help text of every ``--jobs`` flag says it.
JOBS_HELP = "0 or -1: all cores"


def available_cores() -> int:
    """Cores this process may use (its CPU affinity where the system reports one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def resolve_jobs(jobs: int, name: str = "--jobs") -> int:
    """Processes to use for ``jobs``: ``0`` or ``-1`` -> all cores, ``n > 0`` -> ``n``.

    Anything else (a negative number other than -1, a bool, a non-integer) raises
    :class:`~molgan.errors.InputError` naming ``name``.
    """
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < -1:
        raise InputError(f"{name} must be a positive number, or 0 or -1 for all cores; got {jobs!r}")
    return available_cores() if jobs in (0, -1) else jobs


def process_context() -> tuple[multiprocessing.context.BaseContext, bool]:
    """Fork on Linux (workers inherit the parent's memory, nothing to rebuild), else spawn; and whether forked."""
    if sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork"), True
    return multiprocessing.get_context("spawn"), False
