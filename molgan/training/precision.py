"""Numeric precision of the training step: fp32, or bf16 autocast on a CUDA device that has it.

``auto`` is bf16 on a CUDA device that supports it and fp32 everywhere else, so training on a CPU is
the same computation with or without this module. Only the networks' forward passes run under
autocast; the losses, penalties and double backward passes (R1, gradient penalty) take fp32 inputs.
bf16 has fp32's exponent range: no gradient scaler is needed.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import torch
from torch import Tensor

from molgan.errors import InputError

PRECISIONS = ("auto", "fp32", "bf16")


def resolve_precision(precision: str, device: torch.device | str) -> str:
    """``fp32`` or ``bf16``: what ``precision`` means on ``device``; bf16 off a bf16-capable GPU is refused."""
    if precision not in PRECISIONS:
        raise InputError(f"precision must be one of {list(PRECISIONS)}, got {precision!r}")
    device = torch.device(device)
    bf16_ok = device.type == "cuda" and _cuda_bf16(device)
    if precision == "auto":
        return "bf16" if bf16_ok else "fp32"
    if precision == "bf16" and not bf16_ok:
        raise InputError(f"precision bf16 needs a CUDA device with bf16 support, not {device}; use fp32 or auto")
    return precision


def autocast_context(device: torch.device | str, precision: str) -> AbstractContextManager:
    """bf16 autocast on CUDA when ``precision`` resolves to bf16 on ``device``; else a context that does nothing."""
    if resolve_precision(precision, device) == "bf16":
        return torch.autocast(device_type="cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def _cuda_bf16(device: torch.device) -> bool:
    """Whether the GPU ``device`` computes in bf16 natively (emulated bf16 would be slower than fp32)."""
    index = device.index if device.index is not None else torch.cuda.current_device()
    return _bf16_supported(index)


@functools.cache
def _bf16_supported(index: int) -> bool:
    with torch.cuda.device(index):
        return torch.cuda.is_bf16_supported(including_emulation=False)


def forward_fp32(network: Callable[..., Any], *inputs: Tensor, precision: str = "fp32") -> Any:
    """``network(*inputs)`` under :func:`autocast_context`, its output tensor (or tuple of them) in fp32.

    The losses downstream then see fp32 whatever the precision; in fp32 nothing is cast or copied.
    """
    with autocast_context(inputs[0].device, precision):
        out = network(*inputs)
    return tuple(t.float() for t in out) if isinstance(out, tuple) else out.float()


def logged(values: dict[str, Tensor]) -> dict[str, float]:
    """Scalar loss tensors as floats for the log, in one copy to the host (one wait for the device)."""
    if not values:
        return {}
    return dict(zip(values, torch.stack([v.detach().float() for v in values.values()]).tolist()))
