"""The torch device a run asks for (``auto``, ``cpu``, ``cuda`` or ``cuda:N``), and tensors moved between it and the host."""

from __future__ import annotations

import numpy as np
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


def to_host(*tensors: torch.Tensor) -> tuple[np.ndarray, ...]:
    """Tensors of one dtype as numpy arrays (copies); from a GPU in one non-blocking copy to pinned memory.

    The copy is waited for once, after the kernels that computed the tensors: one synchronisation per call.
    """
    if all(t.device.type == "cpu" for t in tensors):
        return tuple(t.numpy().copy() for t in tensors)
    flat = torch.cat([t.reshape(-1) for t in tensors])
    host = torch.empty(flat.shape, dtype=flat.dtype, pin_memory=True)
    host.copy_(flat, non_blocking=True)
    torch.cuda.current_stream(flat.device).synchronize()
    arrays, start = [], 0
    for t in tensors:
        arrays.append(host[start: start + t.numel()].numpy().reshape(t.shape).copy())
        start += t.numel()
    return tuple(arrays)
