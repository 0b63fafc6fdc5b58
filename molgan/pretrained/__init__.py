"""The models shipped inside the package, found by name (``qm9``, ``qm9-qed``, ``qm9-cond``)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from molgan.errors import InputError

#: Shipped model names and what they are.
SHIPPED = {
    "qm9": "QM9 (<= 9 heavy atoms C, N, O, F), unconditional",
    "qm9-qed": "QM9, aimed at high QED (drug-likeness) with data-like chemistry: qm9-cond's generator at qed=0.61",
    "qm9-cond": "QM9, conditional on QED, logP and MW: molgan sample --model qm9-cond --condition qed=0.5,logp=1",
}


def shipped_dir(name: str) -> Path:
    """Directory of a shipped model (it may be missing in a source checkout without weights)."""
    return Path(str(resources.files("molgan.pretrained"))) / name


def available() -> dict[str, str]:
    """Shipped models whose checkpoint is present, with descriptions."""
    return {name: text for name, text in SHIPPED.items() if (shipped_dir(name) / "checkpoint.json").exists()}


def training_data(name_or_path: str | Path) -> str:
    """The data set (a name such as ``qm9``, or a file) a model was trained on, as its checkpoint records it."""
    from molgan.checkpoint import checkpoint_config

    return checkpoint_config(resolve_model(name_or_path)).train.data


def resolve_model(name_or_path: str | Path) -> Path:
    """A shipped model name or a checkpoint directory -> the directory; a clear error otherwise."""
    text = str(name_or_path)
    if text in SHIPPED:
        path = shipped_dir(text)
        if not (path / "checkpoint.json").exists():
            raise InputError(f"the shipped model {text!r} is not included in this installation")
        return path
    path = Path(text).expanduser()
    if path.is_dir():
        if (path / "checkpoint.json").exists():
            return path
        if (path / "best" / "checkpoint.json").exists():  # a training output directory
            return path / "best"
        raise InputError(f"{path} is not a molgan checkpoint directory (no checkpoint.json)")
    if path.exists():
        raise InputError(f"{path} is a file; a model is a checkpoint directory or one of {sorted(SHIPPED)}")
    raise InputError(f"unknown model {text!r}: not a shipped model ({', '.join(sorted(SHIPPED))}) nor a directory")
