"""The nested training config: TOML -> config -> checkpoint JSON -> config, old flat files, one-line errors, the card."""

import json
from pathlib import Path

import pytest

from molgan.config import FLAT_KEYS, RunConfig, active_settings, load_config
from molgan.errors import ConfigError

NESTED = """
[model]
z_dim = 8

[train]
steps = 40
lr_generator = 0.0005

[train.critic]
adversarial_weight = 0.1
n_critic = 2
loss = "bce"

[train.rl]
reward = "qed"
lambda_gan = 0.25
start = 0.1

[train.prior]
kind = "mixture"
size = 16
every = 7

[train.elite]
size = 100
samples = 64
"""

FLAT = """
[model]
z_dim = 8

[train]
steps = 40
lr_generator = 0.0005
adversarial_weight = 0.1
n_critic = 2
loss = "bce"
reward = "qed"
rl_lambda = 0.25
rl_start = 0.1
noise_prior = "mixture"
noise_prior_size = 16
noise_prior_every = 7
elite_size = 100
elite_samples = 64
"""


def write(tmp_path, text, name="run.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_nested_toml_round_trips_through_checkpoint_json(tmp_path):
    config = load_config(write(tmp_path, NESTED))
    assert (config.train.critic.n_critic, config.train.rl.lambda_gan, config.train.prior.count, config.train.elite.size) == (2, 0.25, 16, 100)
    stored = json.loads(json.dumps(config.to_dict()))
    assert stored["train"]["critic"]["n_critic"] == 2 and "n_critic" not in stored["train"]
    assert RunConfig.from_dict(stored) == config


def test_a_checkpoint_round_trip_keeps_the_nested_config(tmp_path, make_config, tiny_data):
    from molgan.checkpoint import load_checkpoint
    from molgan.training.loop import train

    config = make_config(steps=2, eval_every=2, checkpoint_every=2, gp_weight=3.0, noise_prior="none")
    train(config, tiny_data, tmp_path)
    stored = json.loads((tmp_path / "last" / "checkpoint.json").read_text())["config"]
    assert stored["train"]["critic"]["regularizer_weight"] == 3.0 and stored["train"]["prior"]["kind"] == "none"
    assert "gp_weight" not in stored["train"]["critic"]
    assert load_checkpoint(tmp_path / "last").config == config


def test_old_flat_toml_loads_to_the_same_config(tmp_path):
    assert load_config(write(tmp_path, FLAT, "flat.toml")) == load_config(write(tmp_path, NESTED))
    assert load_config(write(tmp_path, FLAT, "flat.toml")) != RunConfig()


#: A non-default value for every old flat key.
OLD_VALUES = {
    "adversarial_weight": 0.3, "n_critic": 4, "loss": "wgan", "gp_weight": 2.0, "lr_critic": 0.002,
    "reward": "logp", "rl_lambda": 0.7, "rl_start": 0.2, "reward_focus": 0.5,
    "noise_prior": "mixture", "noise_prior_size": 12, "noise_prior_scale": 0.9, "noise_prior_start": 0.5,
    "noise_prior_every": 9, "elite_size": 30, "elite_every": 3, "elite_samples": 99,
}


def test_every_old_flat_key_lands_on_its_nested_place():
    assert set(OLD_VALUES) == set(FLAT_KEYS)
    for old, value in OLD_VALUES.items():
        section, leaf = FLAT_KEYS[old].split(".")
        leaf = "regularizer_weight" if leaf == "gp_weight" else leaf  # the gradient penalty's weight was renamed
        assert getattr(getattr(RunConfig().train, section), leaf) != value, old
        loaded = RunConfig.from_dict({"train": {old: value}})
        assert getattr(getattr(loaded.train, section), leaf) == value, old


#: The flat config of the ``qm9`` shipped until commit 515409b (``git show 515409b:molgan/pretrained/qm9/checkpoint.json``).
OLD_QM9_CONFIG = json.loads(
    '''{"model": {"z_dim": 32, "generator_dims": [128, 256, 512], "critic_conv_dims": [128, 64], "critic_readout_dim": 128, "critic_head_dims": [128], "encoder_dims": [512, 256], "generator_dropout": 0.0}, "train": {"data": "qm9", "steps": 20000, "batch_size": 128, "lr_generator": 0.001, "lr_critic": 0.001, "n_critic": 5, "loss": "wgan", "gp_weight": 10.0, "relaxation": "softmax", "adversarial_weight": 0.0, "valence_weight": 1.0, "connectivity_weight": 5.0, "reconstruction_weight": 1.0, "latent_regularizer": "mmd", "latent_weight": 100.0, "lr_decay": 0.1, "noise_prior": "kernel", "noise_prior_size": 20000, "noise_prior_scale": 0.4, "noise_prior_start": 0.25, "noise_prior_every": 1000, "reward": null, "rl_lambda": 1.0, "rl_start": 0.5, "reward_focus": 1.0, "eval_every": 1000, "eval_samples": 2000, "checkpoint_every": 1000, "time_limit_minutes": null, "decoding": "argmax", "temperature": 1.0, "seed": 0, "device": "auto", "threads": null}}'''
)


def test_the_shipped_and_an_old_flat_checkpoint_config_still_load():
    root = Path(__file__).resolve().parents[1] / "molgan" / "pretrained"
    for meta in sorted(root.glob("*/checkpoint.json")):
        RunConfig.from_stored(json.loads(meta.read_text())["config"], source=str(meta))
    old = RunConfig.from_stored(OLD_QM9_CONFIG)
    assert old.train.prior.kind == "kernel" and old.train.rl.lambda_gan == 1.0
    assert old.train.critic.adversarial_weight == 0.0 and not old.model.critic_valence_features
    assert old.model.critic_conv_dims == (128, 64) and old.train.critic.sample_keep is None


def test_a_key_given_both_flat_and_nested_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="train.n_critic and train.critic.n_critic"):
        load_config(write(tmp_path, "[train]\nn_critic = 2\n[train.critic]\nn_critic = 3\n"))


@pytest.mark.parametrize(
    "text, right",
    [
        ("[train.critic]\nreward = 'qed'\n", "it is train.rl.reward"),
        ("[train.rl]\nkind = 'none'\n", "it belongs in train.prior.kind"),
        ("[train.elite]\nn_critic = 2\n", "it is train.critic.n_critic"),
        ("[model]\nsteps = 3\n", "it belongs in train.steps"),
        ("[train]\nsize = 3\n", "it belongs in train.elite.size or train.prior.size"),
    ],
)
def test_a_misplaced_key_gives_one_line_naming_the_right_key(tmp_path, text, right):
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text))
    message = str(info.value)
    assert right in message and "\n" not in message


def test_an_unknown_key_lists_the_sections_keys(tmp_path):
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, "[train.critic]\nweight = 2\n"))
    message = str(info.value)
    assert "unknown key 'weight'" in message and "known keys: adversarial_weight, beta1, beta2, fake_conditions, generator_objective, input, loss, lr, mode_seeking_weight, mode_seeking_width, n_critic, regularizer," in message


@pytest.mark.parametrize(
    "text, message",
    [
        ("[train.critic]\nn_critic = 0\n", "train.critic.n_critic must be >= 1, got 0"),
        ("[train]\nn_critic = 0\n", "train.critic.n_critic must be >= 1, got 0"),
        ("[train.prior]\nstart = 1.0\n", "train.prior.start must be < 1.0, got 1.0"),
        ("[train.prior]\nkind = 'flow'\n", "train.prior.kind must be one of ['none', 'kernel', 'mixture'], got 'flow'"),
        ("[train.elite]\nsize = -1\n", "train.elite.size must be >= 0, got -1"),
        ("[train.rl]\nfocus = 0.0\n", "train.rl.focus must be > 0.0, got 0.0"),
        ("[model]\nencoder_dims = [8, 0]\n", "model.encoder_dims must be >= 1, got (8, 0)"),
    ],
)
def test_a_range_violation_names_the_full_key(tmp_path, text, message):
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text))
    assert str(info.value) == message


def test_overrides_take_the_flag_names_and_set_the_nested_fields():
    config = RunConfig().with_overrides(n_critic=3, rl_lambda=0.2, noise_prior="mixture", elite_size=5, lr_critic=0.01)
    assert (config.train.critic.n_critic, config.train.rl.lambda_gan, config.train.prior.kind) == (3, 0.2, "mixture")
    assert (config.train.elite.size, config.train.critic.lr) == (5, 0.01)
    with pytest.raises(ConfigError, match="train.critic.n_critic must be >= 1"):
        RunConfig().with_overrides(n_critic=0)


def test_the_card_hides_knobs_that_do_nothing_in_the_recipe(tmp_path):
    plain = active_settings(RunConfig().with_overrides(noise_prior="none", adversarial_weight=0.0).train)
    assert plain["critic.adversarial_weight"] == 0.0 and plain["rl.reward"] is None
    assert plain["elite.size"] == 0 and plain["prior.kind"] == "none"
    hidden = ("critic.n_critic", "critic.loss", "critic.regularizer_weight", "critic.lr", "rl.lambda_gan", "rl.start",
              "rl.focus", "elite.every", "elite.samples", "prior.size", "prior.scale", "prior.start", "prior.every")
    assert not set(hidden) & set(plain)
    full = active_settings(load_config(write(tmp_path, NESTED)).train)
    assert set(hidden) <= set(full) and full["critic.loss"] == "bce" and full["prior.size"] == 16


def test_the_shipped_cards_show_only_acting_settings():
    from molgan.sampling.model import load

    qm9 = load("qm9").card()["training_settings"]  # the default recipe: the discriminator acts, RL does not
    assert "prior.scale" in qm9 and "critic.n_critic" in qm9 and "rl.lambda_gan" not in qm9
    qed = load("qm9-qed").card()  # the auto-encoder recipe: no discriminator
    assert qed["aimed_at"] == {"qed": 0.61} and qed["conditions"] == ["qed", "logp", "mw"]
    settings = qed["training_settings"]
    assert "prior.scale" in settings and "rl.lambda_gan" not in settings and "critic.n_critic" not in settings


def test_a_stored_config_keeps_the_meaning_it_had_when_written():
    """Checkpoints written before the discriminator became the default lack its keys: they load as the
    auto-encoder they were (configs/autoencoder.toml), while a config file gets today's defaults."""
    from pathlib import Path

    import molgan
    from molgan.config import load_config

    stored = RunConfig.from_stored({"model": {"z_dim": 8}, "train": {"steps": 3, "adversarial_weight": 0.2}})
    assert stored.train.critic.adversarial_weight == 0.2  # what it says is kept (an old flat key too)
    old = RunConfig.from_stored({"model": {}, "train": {}})
    former = load_config(Path(molgan.__file__).parent / "configs" / "autoencoder.toml")
    assert old.model == former.model and old.train.critic.adversarial_weight == 0.0
    assert old.train.critic.sample_keep is None and old.train.critic.sample_noise_scale is None
    new = RunConfig.from_dict({"model": {}, "train": {}})
    assert new.train.critic.adversarial_weight == 0.1 and new.model.critic_valence_features
    assert (new.train.critic.sample_keep, new.train.critic.sample_noise_scale) == (0.5, 0.5)
    assert RunConfig.from_stored(new.to_dict()) == new  # a config stored today loads as itself
