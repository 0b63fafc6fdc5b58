"""The torch device a run asks for (``auto``, ``cpu``, ``cuda`` or ``cuda:N``), and host tensors moved to it."""

from __future__ import annotations

import torch

from molgan.errors import InputError


def resolve_device(name: str) -> torch.device:
    """``auto`` picks CUDA when present; ``cuda`` without a GPU is a clear error."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise InputError(f"device {name!r} requested but no CUDA GPU is available; use --device cpu")
    try:
        return torch.device(name)
    except RuntimeError as exc:
        raise InputError(f"unknown device {name!r}") from exc


def to_device(tensor: torch.Tensor, device: torch.device | str) -> torch.Tensor:
    """``tensor`` (on the host) on ``device``: to a GPU through pinned memory without waiting for the copy.

    The copy is ordered on the current CUDA stream, so kernels that use the result wait for it;
    the host goes on preparing the next batch. On the CPU this is ``tensor.to(device)``.
    """
    device = torch.device(device)
    if device.type == "cuda" and tensor.device.type == "cpu":
        return tensor.pin_memory().to(device, non_blocking=True)
    return tensor.to(device)
