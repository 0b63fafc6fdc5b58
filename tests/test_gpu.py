"""Precision and the CUDA path: the knob and its refusals on CPU (fast), and `gpu`-marked runs on a GPU
(a training step with bf16 autocast, resume, sampling; skipped where no GPU is present)."""

from __future__ import annotations

import copy
import csv
import dataclasses
import math
import threading

import numpy as np
import pytest
import torch
from rdkit import Chem
from typer.testing import CliRunner

from molgan.cli.main import app
from molgan.config import RunConfig, TrainConfig
from molgan.errors import ConfigError, InputError
from molgan.nn.device import to_device, to_host
from molgan.sampling.stream import prefetch
from molgan.training.precision import PRECISIONS, autocast_context, forward_fp32, resolve_precision

from conftest import TINY_TOML



def on_cuda(test):
    """Mark ``test`` as a GPU test, skipped where no CUDA device is present."""
    return pytest.mark.gpu(pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")(test))


# --- on CPU ---------------------------------------------------------------------------------------


def test_the_precision_knob_declares_the_helpers_choices_and_refuses_fp16_in_one_line():
    field = {f.name: f for f in dataclasses.fields(TrainConfig)}["precision"]
    assert tuple(field.metadata["choices"]) == PRECISIONS and TrainConfig().precision == "auto"
    with pytest.raises(ConfigError) as info:
        RunConfig().with_overrides(precision="fp16")
    assert "train.precision" in str(info.value) and "\n" not in str(info.value)
    with pytest.raises(ConfigError, match="train.precision"):
        RunConfig.from_dict({"train": {"precision": "fp16"}})


def test_auto_is_fp32_on_cpu_and_bf16_is_refused_there():
    assert resolve_precision("auto", "cpu") == "fp32"
    assert resolve_precision("fp32", torch.device("cpu")) == "fp32"
    with pytest.raises(InputError, match="bf16"):
        resolve_precision("bf16", "cpu")


def test_the_autocast_helper_does_nothing_on_cpu():
    x = torch.randn(4, 3)
    layer = torch.nn.Linear(3, 2)
    with autocast_context("cpu", "auto"):
        assert not torch.is_autocast_enabled("cpu") and not torch.is_autocast_enabled("cuda")
        assert layer(x).dtype == torch.float32
    out = layer(x)
    assert torch.equal(forward_fp32(layer, x, precision="auto"), out)
    pair = forward_fp32(lambda a: (a, a * 2), x, precision="fp32")
    assert pair[0] is x  # fp32 in, fp32 out: nothing cast or copied


def test_train_refuses_bf16_on_cpu_in_one_line(tmp_path):
    config = tmp_path / "tiny.toml"
    config.write_text(TINY_TOML)
    args = ["train", "--data", "qm9", "--out", str(tmp_path / "run"), "--config", str(config), "--steps", "2",
            "--device", "cpu", "--precision", "bf16", "--quiet"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code != 0
    assert isinstance(result.exception, InputError)
    message = str(result.exception)
    assert "bf16" in message and "\n" not in message
    assert not (tmp_path / "run" / "last").exists()


def test_host_copies_on_cpu():
    a, b = torch.arange(6, dtype=torch.uint8).view(2, 3), torch.ones(2, 2, 2, dtype=torch.uint8)
    host_a, host_b = to_host(a, b)
    assert host_a.shape == (2, 3) and host_b.shape == (2, 2, 2) and host_a.dtype == np.uint8
    host_a[0, 0] = 9
    assert a[0, 0] == 0  # copies, not views
    assert to_device(a, torch.device("cpu")) is a


def test_prefetch_keeps_the_order_raises_errors_and_stops_when_closed():
    assert list(prefetch(iter(range(50)), depth=3)) == list(range(50))

    def failing():
        yield 1
        raise ValueError("broken block")

    with pytest.raises(ValueError, match="broken block"):
        list(prefetch(failing()))
    before = threading.active_count()
    stream = prefetch(iter(range(10**9)), depth=2)
    assert next(stream) == 0
    stream.close()
    assert threading.active_count() == before


# --- on a GPU ---------------------------------------------------------------------------------------


def _read_rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def _gan_config(make_config, **train):
    """Tiny networks, the discriminator on from the first step, on CUDA at the default precision."""
    config = make_config(adversarial_weight=0.5, regularizer_every=2, device="cuda", **train)
    config.train.critic.start = 0.0
    return config.validate()


def _modules_and_batch(tiny_data, make_config, device):
    from molgan.nn.build import build_modules
    from molgan.training.steps import GraphBatch

    config = _gan_config(make_config)
    torch.manual_seed(0)
    modules = build_modules(config.model, tiny_data.vocab).to(device)
    nodes = torch.from_numpy(tiny_data.nodes[:16].astype(np.int64)).to(device)
    adj = torch.from_numpy(tiny_data.adj[np.arange(16)].astype(np.int64)).to(device)
    real = GraphBatch.from_indices(nodes, adj, tiny_data.vocab.num_node_types, tiny_data.vocab.num_bond_types)
    return config, modules, real


def _one_step(modules, real, config, vocab, precision):
    """One discriminator step (with R1) and one generator step from fixed noise: the logged values."""
    from molgan.training.losses import max_valences
    from molgan.training.steps import CriticSettings, LossWeights, critic_step, generator_step

    device = real.nodes.device
    g = torch.Generator().manual_seed(1)
    z, z2, eps = (torch.randn(16, config.model.z_dim, generator=g).to(device) for _ in range(3))
    settings = CriticSettings.from_config(config.train.critic)
    opt_d = torch.optim.Adam(modules.critic.parameters(), lr=1e-3)
    opt_g = torch.optim.Adam([*modules.generator.parameters(), *modules.encoder.parameters()], lr=1e-3)
    values = critic_step(modules, opt_d, real, z, settings, regularize=True, precision=precision)
    weights = LossWeights.from_config(config.train)
    limits = max_valences(vocab).to(device)
    values.update(generator_step(modules, opt_g, real, z2, limits, weights, critic=settings, eps=eps, precision=precision))
    return values


@on_cuda
def test_a_full_step_on_cuda_at_auto_precision_is_finite_and_close_to_fp32(tiny_data, make_config):
    device = torch.device("cuda")
    config, modules, real = _modules_and_batch(tiny_data, make_config, device)
    auto = resolve_precision("auto", device)
    assert auto == ("bf16" if torch.cuda.is_bf16_supported(including_emulation=False) else "fp32")
    fp32 = _one_step(copy.deepcopy(modules), real, config, tiny_data.vocab, "fp32")
    mixed = _one_step(copy.deepcopy(modules), real, config, tiny_data.vocab, auto)
    assert {"d_loss", "d_reg", "g_loss", "g_adv", "recon", "latent"} <= set(mixed)
    assert all(math.isfinite(v) for v in mixed.values())
    for key in ("d_loss", "g_adv", "recon", "g_loss"):
        assert mixed[key] == pytest.approx(fp32[key], rel=0.05, abs=1e-3), key


@on_cuda
def test_a_short_run_on_cuda_resumes_to_the_same_step_count(tmp_path, tiny_data, make_config):
    from molgan.training.loop import train

    out = tmp_path / "gpu"
    first = train(_gan_config(make_config, steps=4, eval_every=2, checkpoint_every=2), tiny_data, out)
    assert first.steps == 4
    resumed = train(_gan_config(make_config, steps=8, eval_every=2, checkpoint_every=2), tiny_data, out, resume=True)
    assert resumed.steps == 8
    rows = _read_rows(out / "metrics.csv")
    assert [int(r["step"]) for r in rows] == [2, 4, 6, 8]
    assert all(math.isfinite(float(r[k])) for r in rows for k in ("d_loss", "g_loss", "recon"))


@on_cuda
def test_sampling_on_cuda_gives_valid_smiles_in_the_cpu_order(tmp_path):
    from molgan.sampling.model import load
    from molgan.sampling.to_file import sample_to_file

    gpu, cpu = load("qm9", device="cuda"), load("qm9", device="cpu")
    smiles = gpu.sample(200, seed=0)
    assert len(smiles) == 200 and all(Chem.MolFromSmiles(s) is not None for s in smiles)
    on_gpu, on_cpu = gpu.sample_raw(2048, seed=3), cpu.sample_raw(2048, seed=3)
    assert np.mean([a == b for a, b in zip(on_gpu, on_cpu)]) > 0.95  # the same noise; fp32 on both
    one, two = tmp_path / "one.smi", tmp_path / "two.smi"
    sample_to_file(gpu, one, 3000, seed=1, raw=True, jobs=1)
    sample_to_file(gpu, two, 3000, seed=1, raw=True, jobs=2)  # generation overlapping two decoders
    assert one.read_bytes() == two.read_bytes()
