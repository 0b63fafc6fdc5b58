"""Data-parallel training under torchrun: two CPU processes (gloo) train as one process on the same global batch.

The two processes are forks of this one that join the process group as torchrun's workers do (RANK,
WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT): the same rendezvous, without re-importing torch.
"""

from __future__ import annotations

import os
import shutil
import socket
import sys

import pytest
import torch
from typer.testing import CliRunner

from conftest import TINY_MODEL_TOML, TINY_SMILES

from molgan.checkpoint import load_checkpoint
from molgan.cli.main import app
from molgan.errors import InputError
from molgan.training import distributed
from molgan.training.losses import mmd_to_prior

#: Weights (and Adam moments) of the 2-process run may differ from one process's by float rounding
#: only (sums in another order). Measured with FULL_TOML on a 2-core CPU: at most 1.5e-8 on a weight and
#: 6e-8 on an Adam moment, after 3 steps and after resuming to 6.
ATOL = 1e-5

#: Every network and every batch-level piece on: discriminator with the gradient penalty (random
#: interpolates), noise prior refits, reward
#: network with the RL term and the elite pool, and the MMD latent term (the default).
FULL_TOML = TINY_MODEL_TOML + """
[train]
batch_size = 16
eval_samples = 32
eval_every = 3
checkpoint_every = 3
device = "cpu"
threads = 1
seed = 3

[train.critic]
n_critic = 2
adversarial_weight = 0.1
start = 0.0
regularizer = "gp"
regularizer_every = 2

[train.rl]
reward = "qed"
start = 0.4
lambda_gan = 0.5

[train.prior]
start = 0.2
every = 2
size = 16

[train.elite]
size = 8
every = 2
samples = 16
"""

runner = CliRunner()
_FORKS = pytest.mark.skipif(sys.platform != "linux", reason="forks the test process")


def _forked(worker, *args) -> None:
    """Run ``worker(rank, *args)`` in 2 forks of this process, each with torchrun's variables for its rank
    (a free port on 127.0.0.1); a failure in either is raised here."""
    import torch._dynamo  # noqa: F401  (the first optimizer step imports it: once here, not in each fork)
    import torch.multiprocessing as mp

    mp.start_processes(_as_rank, args=(_free_port(), worker, args), nprocs=2, start_method="fork")


def _as_rank(rank: int, port: int, worker, args) -> None:
    os.environ.update(RANK=str(rank), WORLD_SIZE="2", LOCAL_RANK=str(rank), MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    worker(rank, *args)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _train_args(root, out, steps: int, config=None) -> list[str]:
    """``molgan train`` on ``root``'s molecules with ``config`` (default ``root/full.toml``)."""
    config = root / "full.toml" if config is None else config
    return ["train", "--data", str(root / "mols.smi"), "--config", str(config), "--out", str(out),
            "--steps", str(steps), "--quiet"]


def _one_process(args: list[str]) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output


def _assert_close(a, b) -> None:
    """The weights and the optimizer moments of checkpoints ``a`` and ``b`` agree within :data:`ATOL`; the RNGs match.

    Prints the largest differences (``pytest -s``), the figures the README quotes.
    """
    first, second = load_checkpoint(a), load_checkpoint(b)
    largest = {"weight": 0.0, "Adam moment": 0.0}
    assert first.step == second.step
    assert first.weights.keys() == second.weights.keys()
    moments, other = first.optimizer_state(), second.optimizer_state()
    assert moments.keys() == other.keys()
    pairs = [("weight", name, tensor, second.weights[name]) for name, tensor in first.weights.items()]
    pairs += [("Adam moment", name, moments[name], other[name]) for name in moments if not name.startswith("rng.")]
    for kind, name, x, y in pairs:
        torch.testing.assert_close(x.float(), y.float(), atol=ATOL, rtol=0, msg=lambda m, name=name: f"{name}: {m}")
        if x.numel():
            largest[kind] = max(largest[kind], (x.float() - y.float()).abs().max().item())
    for name in ("rng.data", "rng.torch"):
        assert torch.equal(moments[name], other[name]), name
    assert first.extra["elite_pool"] == second.extra["elite_pool"]
    print(f"{b.parent.name} vs {a.parent.name} at step {first.step}: largest difference "
          + ", ".join(f"{kind} {value:.2g}" for kind, value in largest.items()))


def _cli_rank(rank: int, args: list[str], cache: str) -> None:
    """``molgan train`` as torchrun's worker ``rank`` runs it: only rank 0 reports."""
    os.environ["MOLGAN_CACHE_DIR"] = cache
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert ("trained 3 steps" in result.stderr) == (rank == 0), result.stderr


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """``two``: 3 steps of ``molgan train`` on 2 processes; ``one``: the same 3 steps in this process."""
    root = tmp_path_factory.mktemp("distributed")
    (root / "mols.smi").write_text("\n".join(TINY_SMILES * 2) + "\n")
    (root / "full.toml").write_text(FULL_TOML)
    _one_process(_train_args(root, root / "one", 3))  # first: the forks inherit what it imported
    _forked(_cli_rank, _train_args(root, root / "two", 3), str(root / "cache"))
    return root


@pytest.mark.slow
@_FORKS
def test_two_processes_train_as_one_on_the_same_global_batch(runs):
    root = runs
    _assert_close(root / "one" / "last", root / "two" / "last")
    one, two = ((root / name / "metrics.csv").read_text().splitlines() for name in ("one", "two"))
    assert len(one) == len(two) == 2  # header and the step-3 row, written once
    assert sorted(p.name for p in (root / "two").iterdir()) == sorted(p.name for p in (root / "one").iterdir())


@pytest.mark.slow
@_FORKS
def test_a_two_process_run_resumes_in_one_process(runs, tmp_path):
    root = runs
    for name in ("one", "two"):
        shutil.copytree(root / name, tmp_path / name)
        _one_process(_train_args(root, tmp_path / name, 6) + ["--resume"])
    _assert_close(tmp_path / "one" / "last", tmp_path / "two" / "last")
    rows = (tmp_path / "two" / "metrics.csv").read_text().splitlines()
    assert [row.split(",")[0] for row in rows[1:]] == ["3", "6"]


@pytest.mark.slow
@_FORKS
def test_feature_matching_on_two_processes_matches_one_process(runs, tmp_path):
    root = runs
    config = tmp_path / "matching.toml"
    config.write_text(FULL_TOML.replace("[train.critic]", '[train.critic]\ngenerator_objective = "feature_matching"'))
    _one_process(_train_args(root, tmp_path / "one", 3, config))
    _forked(_cli_rank, _train_args(root, tmp_path / "two", 3, config), str(root / "cache"))
    _assert_close(tmp_path / "one" / "last", tmp_path / "two" / "last")


def _collectives(rank: int) -> None:
    with distributed.session():
        _check_collectives(rank)


def _check_collectives(rank: int) -> None:
    assert distributed.active() and distributed.world_size() == 2 and distributed.is_main() == (rank == 0)
    assert distributed.any_rank((rank == 1, False)) == (True, False)
    assert distributed.gather_json(["C" * (rank + 1)]) == [["C"], ["CC"]]
    assert distributed.broadcast_json({"from": rank} if rank == 0 else None) == {"from": 0}
    assert distributed.mean_values({"loss": float(rank)}) == {"loss": 0.5}
    assert distributed.shard(torch.arange(6)).tolist() == [[0, 1, 2], [3, 4, 5]][rank]
    net = torch.nn.Linear(3, 1)
    distributed.broadcast_modules([net])
    first = distributed.gather_json(net.weight.flatten().tolist())
    assert first[0] == first[1]
    # MMD of the global batch + a per-graph mean, on shares: the gradient of one process on the whole batch
    x, prior = torch.randn(8, 3, generator=torch.Generator().manual_seed(0)), torch.randn(8, 3, generator=torch.Generator().manual_seed(1))
    weight = torch.ones(3, requires_grad=True)
    optimizer = torch.optim.SGD([weight], lr=0.0)
    distributed.average_gradients(optimizer)
    local = distributed.shard(x) * weight
    (mmd_to_prior(distributed.global_batch(local), prior) + local.pow(2).mean()).backward()
    optimizer.step()
    reference = torch.ones(3, requires_grad=True)
    (mmd_to_prior(x * reference, prior) + (x * reference).pow(2).mean()).backward()
    torch.testing.assert_close(weight.grad, reference.grad, atol=1e-6, rtol=0)


@_FORKS
def test_the_collectives_on_two_processes():
    _forked(_collectives)


def _stop_when_one_rank_runs_out_of_time(rank: int, config, data, out) -> None:
    from molgan.training.loop import Schedule, train

    if rank == 1:  # only rank 1's clock says stop, after the second step
        Schedule.out_of_time = lambda self, seconds: (out / "step2").exists()
    original = Schedule.checkpoint_due

    def note(self, done, since_save=0.0):
        if done == 2 and rank == 1:
            (out / "step2").touch()
        return original(self, done, since_save)

    Schedule.checkpoint_due = note
    with distributed.session():
        result = train(config, data, out)
        assert result.steps == 2 and result.stopped_early, result  # both ranks stop at the same step
        distributed.barrier()
        if rank == 0:
            assert load_checkpoint(out / "last").step == 2


@_FORKS
def test_every_rank_stops_at_the_step_one_rank_runs_out_of_time(tmp_path, tiny_data, make_config):
    config = make_config(steps=6, eval_every=100, checkpoint_every=100, time_limit_minutes=60)
    _forked(_stop_when_one_rank_runs_out_of_time, config, tiny_data, tmp_path)
    assert (tmp_path / "last").exists()


def test_one_process_without_torchrun_variables(monkeypatch):
    for name in distributed.LAUNCH_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    assert distributed.detect() is None and not distributed.active() and distributed.is_main()
    batch = torch.arange(6)
    assert distributed.shard(batch) is batch and distributed.global_batch(batch) is batch
    assert distributed.gather_json(["C"]) == [["C"]] and distributed.mean_values({"a": 1.0}) == {"a": 1.0}


def test_torchrun_variables_are_read():
    env = {"RANK": "1", "WORLD_SIZE": "2", "LOCAL_RANK": "1", "MASTER_ADDR": "127.0.0.1"}
    assert distributed.detect(env) == distributed.Launch(rank=1, world_size=2, local_rank=1)
    assert distributed.detect({**env, "WORLD_SIZE": "1", "RANK": "0"}) is None  # a world of one is one process
    with pytest.raises(InputError, match="integers"):
        distributed.detect({**env, "RANK": "one"})


def test_a_batch_that_does_not_split_among_the_processes_is_refused(monkeypatch):
    monkeypatch.setattr(distributed, "world_size", lambda: 3)
    with pytest.raises(InputError, match="batch_size 16 does not split among 3 processes"):
        distributed.check_divides(16)
    distributed.check_divides(15)
