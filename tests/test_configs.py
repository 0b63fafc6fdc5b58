"""Every recipe under ``molgan/configs/`` loads and trains a few steps, keeping its settings."""

from dataclasses import asdict
from pathlib import Path

import pytest

from molgan.checkpoint import load_checkpoint
from molgan.config import FLAT_KEYS, flatten, load_config
from molgan.training.loop import train

CONFIGS = sorted((Path(__file__).resolve().parent.parent / "molgan" / "configs").glob("*.toml"))
#: What a test shrinks (flat option names): everything else must keep the TOML's value.
SHRUNK = dict(steps=4, batch_size=16, eval_samples=32, eval_every=2, checkpoint_every=2, threads=1, device="cpu")


def test_there_are_recipes():
    assert len(CONFIGS) >= 5


@pytest.mark.parametrize("path", CONFIGS, ids=[p.stem for p in CONFIGS])
def test_a_recipe_loads_and_trains_a_few_steps(path, tmp_path, tiny_data, tiny_model_dir, make_config):
    from molgan.scoring import load_reward

    recipe = load_config(path)
    shrunk = dict(SHRUNK)
    if recipe.train.elite.size:
        shrunk.update(elite_size=8, elite_samples=32, elite_every=2)
    if recipe.train.prior.size:
        shrunk.update(noise_prior_size=8)
    config = recipe.with_overrides(**shrunk)
    tiny = make_config(model={"conditions": recipe.model.conditions}).model
    config = type(config)(model=tiny, train=config.train).validate()  # tiny networks
    reward = load_reward(config.train.rl.reward) if config.train.rl.reward else None
    init = tiny_model_dir / "last" if "init" in path.read_text() else None  # fine-tuning recipes start from a model
    data = tiny_data
    if recipe.model.conditions:  # a conditional recipe: made-up properties of the tiny molecules
        import dataclasses

        import numpy as np

        from molgan.data.conditions import ConditionStats

        values = np.random.default_rng(0).normal(size=(len(tiny_data), len(recipe.model.conditions)))
        stats = ConditionStats.fit(recipe.model.conditions, values)
        data = dataclasses.replace(tiny_data, conditions=stats.normalize(values), condition_stats=stats)
    result = train(config, data, tmp_path, reward=reward, init_from=init)
    assert result.steps == 4
    saved = load_checkpoint(tmp_path / "last").config
    assert saved.train == config.train  # the checkpoint stores the recipe it ran
    before, after = flatten(asdict(recipe.train)), flatten(asdict(saved.train))
    changed = {key for key in before if before[key] != after[key]}
    assert changed <= {FLAT_KEYS.get(name, name) for name in shrunk}, changed

