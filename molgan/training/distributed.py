"""Data-parallel training under ``torchrun``: find the launch, start and end the process group, and the
few collectives the training loop needs.

Every rank draws the same global batch from the same seeded generator and keeps its contiguous share
(:func:`shard`); gradients are averaged across ranks before each optimizer step
(:func:`average_gradients`); terms that do not split over shards see the whole batch through a
differentiable gather (:func:`global_batch`). Without torchrun's variables (one process) every
function here is the identity or a no-op, so single-process training runs the code it always ran.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import torch
import torch.distributed as dist

from molgan.errors import InputError

T = TypeVar("T")

#: The variables torchrun sets in every worker.
LAUNCH_VARIABLES = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR")


@dataclass(frozen=True)
class Launch:
    """Where this process sits in a torchrun launch."""

    rank: int
    world_size: int
    local_rank: int


def detect(env: Mapping[str, str] | None = None) -> Launch | None:
    """The torchrun launch of this process, or ``None`` (one process: no variables, or a world of 1)."""
    env = os.environ if env is None else env
    if not all(name in env for name in LAUNCH_VARIABLES):
        return None
    try:
        launch = Launch(int(env["RANK"]), int(env["WORLD_SIZE"]), int(env["LOCAL_RANK"]))
    except ValueError as exc:
        raise InputError(f"torchrun variables RANK, WORLD_SIZE, LOCAL_RANK must be integers ({exc})") from exc
    return launch if launch.world_size > 1 else None


def active() -> bool:
    """Whether a process group of more than one rank is running."""
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def world_size() -> int:
    return dist.get_world_size() if active() else 1


def rank() -> int:
    """This process's rank: from the process group, else from torchrun's variables, else 0."""
    if active():
        return dist.get_rank()
    launch = detect()
    return launch.rank if launch is not None else 0


def is_main() -> bool:
    """Rank 0 (or the only process): the one that writes checkpoints, metrics, curves and logs."""
    return rank() == 0


@contextmanager
def session() -> Iterator[Launch | None]:
    """Start the process group of a torchrun launch (none in one process) and end it on the way out.

    The backend is gloo, with nccl for CUDA tensors where CUDA is present (``cpu:gloo,cuda:nccl``);
    on CUDA each rank uses device ``cuda:LOCAL_RANK``. A group already started is used as it is.
    """
    launch = detect()
    if launch is None or (dist.is_available() and dist.is_initialized()):
        yield launch
        return
    if not dist.is_available():  # pragma: no cover - torch built without distributed support
        raise InputError("this torch build has no torch.distributed: run molgan train without torchrun")
    cuda = torch.cuda.is_available() and dist.is_nccl_available()
    if cuda:
        torch.cuda.set_device(launch.local_rank)
    dist.init_process_group("cpu:gloo,cuda:nccl" if cuda else "gloo")
    try:
        yield launch
    finally:
        dist.destroy_process_group()


def local_device(device: torch.device) -> torch.device:
    """``device`` for this rank: ``cuda:LOCAL_RANK`` when it is a CUDA device and the run is distributed."""
    launch = detect()
    if not active() or launch is None or device.type != "cuda":
        return device
    return torch.device("cuda", launch.local_rank)


def check_divides(batch_size: int) -> None:
    """A global batch splits into equal shares, one per rank (one-line :class:`InputError` otherwise)."""
    size = world_size()
    if batch_size % size:
        raise InputError(f"train.batch_size {batch_size} does not split among {size} processes: give a multiple of {size}")


def shard(batch: T) -> T:
    """This rank's contiguous share of a global batch (a tensor or array, split along dim 0)."""
    if not active():
        return batch
    share = len(batch) // world_size()
    start = rank() * share
    return batch[start : start + share]


def global_batch(local: torch.Tensor) -> torch.Tensor:
    """The shares of every rank concatenated in rank order, with gradients flowing back to each share.

    Every rank computes the same loss of the global batch; the backward pass sums the ranks' gradients
    of each share, and :func:`average_gradients` divides by the number of ranks: the gradient of one
    process's loss over the whole batch.
    """
    if not active():
        return local
    return _GatherShares.apply(local)


class _GatherShares(torch.autograd.Function):
    """All-gather along dim 0 whose backward all-reduces (sums) the gradient and keeps this rank's share
    (``torch.distributed.nn.functional.all_gather`` is deprecated in torch 2.13)."""

    @staticmethod
    def forward(ctx: Any, local: torch.Tensor) -> torch.Tensor:
        parts = [torch.empty_like(local) for _ in range(world_size())]
        dist.all_gather(parts, local.contiguous())
        return torch.cat(parts, dim=0)

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> torch.Tensor:
        grad = grad.contiguous()
        dist.all_reduce(grad)
        return shard(grad)


def broadcast_modules(modules: Iterator[torch.nn.Module] | list[torch.nn.Module]) -> None:
    """Overwrite the parameters and buffers of ``modules`` with rank 0's."""
    if not active():
        return
    with torch.no_grad():
        for module in modules:
            for tensor in list(module.parameters()) + list(module.buffers()):
                dist.broadcast(tensor.data, src=0)


def average_gradients(optimizer: torch.optim.Optimizer) -> None:
    """Before each ``optimizer.step()``, replace the gradients of its parameters by their mean over ranks.

    One flat all-reduce per step and device. Parameters without a gradient (a frozen network) are
    left out; every rank runs the same code, so every rank leaves out the same ones.
    """
    if not active():
        return
    size = world_size()

    def hook(opt: torch.optim.Optimizer, args: Any, kwargs: Any) -> None:
        grads = [p.grad for group in opt.param_groups for p in group["params"] if p.grad is not None]
        for device in dict.fromkeys(g.device for g in grads):
            on_device = [g for g in grads if g.device == device]
            flat = torch.cat([g.reshape(-1) for g in on_device])
            dist.all_reduce(flat)
            flat /= size
            offset = 0
            for g in on_device:
                g.copy_(flat[offset : offset + g.numel()].view_as(g))
                offset += g.numel()

    optimizer.register_step_pre_hook(hook)


def mean_values(values: dict[str, float]) -> dict[str, float]:
    """Logged loss values averaged over ranks (equal shares: the global batch's means).

    The small collectives here and below use CPU tensors, which the gloo backend carries.
    """
    if not active() or not values:
        return values
    keys = sorted(values)
    tensor = torch.tensor([values[k] for k in keys], dtype=torch.float64)
    dist.all_reduce(tensor)
    return dict(zip(keys, (tensor / world_size()).tolist()))


def any_rank(flags: tuple[bool, ...]) -> tuple[bool, ...]:
    """Each flag, true when it is true on some rank (so that every rank stops at the same step)."""
    if not active():
        return flags
    tensor = torch.tensor([float(f) for f in flags])
    dist.all_reduce(tensor, op=dist.ReduceOp.MAX)
    return tuple(bool(v) for v in tensor.tolist())


def gather_json(value: Any) -> list[Any]:
    """The JSON-able ``value`` of every rank, in rank order (``[value]`` in one process)."""
    if not active():
        return [value]
    data = _to_bytes(value)
    sizes = [torch.zeros(1, dtype=torch.int64) for _ in range(world_size())]
    dist.all_gather(sizes, torch.tensor([len(data)], dtype=torch.int64))
    longest = int(max(s.item() for s in sizes))
    padded = torch.zeros(longest, dtype=torch.uint8)
    padded[: len(data)] = data
    parts = [torch.empty_like(padded) for _ in sizes]
    dist.all_gather(parts, padded)
    return [_from_bytes(part[: int(size.item())]) for part, size in zip(parts, sizes)]


def broadcast_json(value: Any) -> Any:
    """Rank 0's JSON-able ``value`` on every rank (others pass anything, e.g. ``None``)."""
    if not active():
        return value
    data = _to_bytes(value) if is_main() else torch.zeros(0, dtype=torch.uint8)
    size = torch.tensor([len(data)], dtype=torch.int64)
    dist.broadcast(size, src=0)
    buffer = data if is_main() else torch.empty(int(size.item()), dtype=torch.uint8)
    dist.broadcast(buffer, src=0)
    return _from_bytes(buffer)


def barrier() -> None:
    """Wait until every rank is here."""
    if active():
        dist.barrier()


def _to_bytes(value: Any) -> torch.Tensor:
    encoded = json.dumps(value).encode("utf-8")
    return torch.tensor(list(encoded), dtype=torch.uint8)


def _from_bytes(data: torch.Tensor) -> Any:
    return json.loads(bytes(data.tolist()).decode("utf-8"))
