"""What a training run may do with its output directory: start fresh, resume, or (forced) start over.

A directory *holds a run* when it has ``last/``, ``best/`` or ``metrics.csv``. Such a directory is
never replaced silently: a new run there needs ``force`` (start over) or ``resume`` (continue), and
``resume`` needs a ``last/`` checkpoint to continue from.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from molgan.errors import InputError

#: What a training run writes into its output directory.
RUN_OUTPUTS = ("last", "best", "metrics.csv", "training_curves.png")
#: The file every complete checkpoint directory holds (molgan.checkpoint.META).
_CHECKPOINT_MARKER = "checkpoint.json"


def holds_run(out_dir: str | Path) -> bool:
    """Whether ``out_dir`` holds (part of) a training run: ``last/``, ``best/`` or ``metrics.csv``."""
    out_dir = Path(out_dir)
    return any((out_dir / name).exists() for name in ("last", "best", "metrics.csv"))


def can_resume(out_dir: str | Path) -> bool:
    """Whether ``out_dir/last`` is a complete checkpoint to resume from."""
    return (Path(out_dir) / "last" / _CHECKPOINT_MARKER).is_file()


def resume_step(out_dir: str | Path) -> int | None:
    """The step ``out_dir/last`` was saved at, or ``None`` when there is no readable checkpoint."""
    try:
        meta = json.loads((Path(out_dir) / "last" / _CHECKPOINT_MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    step = meta.get("step") if isinstance(meta, dict) else None
    return step if isinstance(step, int) else None


def check_run_dir(out_dir: str | Path, *, resume: bool, force: bool) -> None:
    """Refuse (one-line :class:`InputError`) to replace a run without ``force`` or to resume nothing."""
    out_dir = Path(out_dir)
    if resume and force:
        raise InputError("--resume continues a run and --force starts it over: give one of them")
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"{out_dir} is a file, not a directory; give a directory to --out")
    if resume:
        if not can_resume(out_dir):
            raise InputError(
                f"nothing to resume in {out_dir}: it has no last/ checkpoint; drop --resume to start a new run"
            )
    elif holds_run(out_dir) and not force:
        raise InputError(f"{out_dir} holds a training run; use --resume to continue it or --force to start over")


def clear_run(out_dir: str | Path) -> None:
    """Remove the outputs of an earlier run from ``out_dir`` (for ``force``); other files stay."""
    out_dir = Path(out_dir)
    for name in RUN_OUTPUTS:
        path = out_dir / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
