"""Each optional training path runs and changes what it should: tests that fail when a path is skipped."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from molgan.checkpoint import load_checkpoint
from molgan.training import losses
from molgan.training.loop import train


def module_weights(directory, module):
    """The tensors of one network of a checkpoint."""
    prefix = module + "."
    return {k: v for k, v in load_checkpoint(directory).weights.items() if k.startswith(prefix)}


def same(a, b):
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def atoms_reward(mols):
    return np.array([0.0 if m is None else min(1.0, m.GetNumAtoms() / 9) for m in mols])


def test_bce_losses_are_the_binary_cross_entropy_of_their_logits():
    generator = torch.Generator().manual_seed(0)
    real, fake = torch.randn(64, generator=generator), torch.randn(64, generator=generator)
    expected_critic = F.binary_cross_entropy_with_logits(real, torch.ones(64)) + F.binary_cross_entropy_with_logits(
        fake, torch.zeros(64)
    )
    torch.testing.assert_close(losses.bce_critic_loss(real, fake), expected_critic)
    torch.testing.assert_close(losses.bce_generator_loss(fake), F.binary_cross_entropy_with_logits(fake, torch.ones(64)))


def test_the_bce_critic_is_trained_and_differs_from_the_wgan_critic(tmp_path, tiny_data, make_config):
    """With a discriminator weight the BCE path steps the critic; with none, the critic keeps its (seeded) initial
    weights however many steps run."""
    runs = {
        "bce": dict(loss="bce", adversarial_weight=0.1),
        "wgan": dict(loss="wgan", adversarial_weight=0.1),
        "off": dict(loss="bce", adversarial_weight=0.0),
        "off_one_step": dict(loss="bce", adversarial_weight=0.0, steps=1, eval_every=1, checkpoint_every=1),
    }
    critics = {}
    for name, options in runs.items():
        config = make_config(**{"steps": 3, "eval_every": 3, "checkpoint_every": 3, **options})  # same seed
        train(config, tiny_data, tmp_path / name)
        critics[name] = module_weights(tmp_path / name / "last", "critic")
    assert critics["bce"] and same(critics["off"], critics["off_one_step"])  # never stepped: initial weights
    assert not same(critics["bce"], critics["off"])
    assert not same(critics["bce"], critics["wgan"])


def test_the_reward_net_is_trained_once_rl_is_on(tmp_path, tiny_data, make_config):
    """``rl_start`` 0 steps the reward network; ``rl_start`` 1 (never on) leaves its initial weights."""
    train(make_config(steps=6, rl_start=0.0), tiny_data, tmp_path / "on", reward=atoms_reward)
    train(make_config(steps=6, rl_start=1.0), tiny_data, tmp_path / "off", reward=atoms_reward)
    on, off = module_weights(tmp_path / "on" / "last", "reward_net"), module_weights(tmp_path / "off" / "last", "reward_net")
    assert on and off.keys() == on.keys()
    assert not same(on, off)


def test_init_from_starts_from_the_source_weights(tmp_path, tiny_data, make_config, tiny_model_dir):
    """Fine-tuning (step 1 of qm9-qed) starts at the given model: after one Adam step every generator weight is
    within the learning rate of the source (Adam's first step is at most lr), and a run from scratch is not."""
    source = module_weights(tiny_model_dir / "last", "generator")
    lr = 1e-3
    options = dict(steps=1, eval_every=1, checkpoint_every=1, lr_generator=lr)
    train(make_config(**options), tiny_data, tmp_path / "tuned", init_from=tiny_model_dir / "last")
    train(make_config(**options), tiny_data, tmp_path / "scratch")
    tuned, scratch = module_weights(tmp_path / "tuned" / "last", "generator"), module_weights(tmp_path / "scratch" / "last", "generator")
    assert tuned.keys() == source.keys()
    assert max((tuned[k] - source[k]).abs().max().item() for k in source) <= lr * 1.01
    assert max((scratch[k] - source[k]).abs().max().item() for k in source) > 10 * lr
    assert not same(tuned, source)


def test_the_seed_and_only_the_seed_decides_training(tmp_path, tiny_data, make_config, tiny_model_dir):
    """From the same starting weights, the same seed gives identical weights and another seed other weights:
    the seed reaches batches and noise, not only the initialisation."""
    start = tiny_model_dir / "last"
    for name, seed in (("a", 0), ("b", 0), ("c", 1)):
        train(make_config(steps=3, seed=seed), tiny_data, tmp_path / name, init_from=start)
    a, b, c = (load_checkpoint(tmp_path / name / "last").weights for name in "abc")
    assert same(a, b)
    assert not same(a, c)
