"""One contiguous part of a sampling run, for job arrays and torchrun: ``--shard I/N``.

Shard ``I`` (0-based) of ``N`` covers the graphs ``[I * D // N, (I + 1) * D // N)`` of a run of ``D``
draws, so the shard files, concatenated in order, are the one-process file (uncompressed content;
every gzip shard is a complete gzip member). ``auto`` takes ``I``/``N`` from a SLURM job array
(``SLURM_ARRAY_TASK_ID`` less ``SLURM_ARRAY_TASK_MIN``, over ``SLURM_ARRAY_TASK_STEP``, of
``SLURM_ARRAY_TASK_COUNT``) and from torchrun (``RANK`` of ``WORLD_SIZE``); both at once give
``task * WORLD_SIZE + RANK`` of ``COUNT * WORLD_SIZE``. Either part may also be ``$VAR``/``${VAR}``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

from molgan.errors import InputError

_VAR = re.compile(r"^\$(?:\{(\w+)\}|(\w+))$")


@dataclass(frozen=True)
class Shard:
    """Part ``index`` (0-based) of ``count`` contiguous parts."""

    index: int = 0
    count: int = 1

    def __post_init__(self) -> None:
        if self.count < 1 or not 0 <= self.index < self.count:
            raise InputError(f"--shard must be I/N with 0 <= I < N, got {self.index}/{self.count}")

    def range(self, total: int) -> tuple[int, int]:
        """The ``[start, stop)`` of this part of ``total`` items."""
        return self.index * total // self.count, (self.index + 1) * total // self.count

    def name(self, output: str) -> str:
        """``output`` with ``{shard}`` replaced by the index, zero-padded so names sort in shard order."""
        return output.replace("{shard}", f"{self.index:0{len(str(self.count - 1))}d}")


def _integer(text: str, what: str, environ: Mapping[str, str]) -> int:
    match = _VAR.match(text.strip())
    if match:
        name = match.group(1) or match.group(2)
        if name not in environ:
            raise InputError(f"--shard: environment variable {name} is not set")
        text = environ[name]
    try:
        return int(text.strip())
    except ValueError:
        raise InputError(f"--shard: {what} must be an integer, got {text!r} (use I/N, 0-based, or auto)") from None


def _env_int(environ: Mapping[str, str], name: str, default: int | None = None) -> int:
    if name not in environ and default is not None:
        return default
    return _integer(environ.get(name, ""), name, environ)


def shard_from_env(environ: Mapping[str, str] | None = None) -> Shard:
    """The shard of this process in a SLURM job array and/or under torchrun."""
    env = os.environ if environ is None else environ
    parts: list[Shard] = []
    if "SLURM_ARRAY_TASK_ID" in env:
        offset = _env_int(env, "SLURM_ARRAY_TASK_ID") - _env_int(env, "SLURM_ARRAY_TASK_MIN", 0)
        step = _env_int(env, "SLURM_ARRAY_TASK_STEP", 1)
        if step < 1 or offset % step:
            raise InputError("--shard auto: the SLURM array indices are not MIN, MIN+STEP, ...; give --shard I/N")
        parts.append(Shard(offset // step, _env_int(env, "SLURM_ARRAY_TASK_COUNT")))
    if "RANK" in env and "WORLD_SIZE" in env:
        parts.append(Shard(_env_int(env, "RANK"), _env_int(env, "WORLD_SIZE")))
    if not parts:
        raise InputError("--shard auto: neither a SLURM job array (SLURM_ARRAY_TASK_ID) nor torchrun (RANK) found")
    index, count = 0, 1
    for part in parts:
        index, count = index * part.count + part.index, count * part.count
    return Shard(index, count)


def parse_shard(text: str | None, environ: Mapping[str, str] | None = None) -> Shard:
    """``I/N`` (0-based; ``$VAR`` parts read from the environment), ``auto``, or None (the whole run)."""
    if text is None:
        return Shard()
    env = os.environ if environ is None else environ
    if text.strip() == "auto":
        return shard_from_env(env)
    index, sep, count = text.partition("/")
    if not sep:
        raise InputError(f"--shard must be I/N (0-based) or auto, got {text!r}")
    return Shard(_integer(index, "I", env), _integer(count, "N", env))
