"""RunConfig: TOML round trip and validation on load (unknown keys and bad values refused)."""

import pytest

from molgan.config import CriticConfig, ModelConfig, RLConfig, RunConfig, TrainConfig, load_config
from molgan.errors import ConfigError


def to_toml(data: dict) -> str:
    """A minimal TOML writer for the [model] / [train] tables of a config (and [train.x] sub-tables)."""

    def value(v):
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, (list, tuple)):
            return "[" + ", ".join(value(x) for x in v) + "]"
        if isinstance(v, str):
            return '"' + v + '"'
        return repr(v)

    lines = []
    for section, values in data.items():
        lines.append(f"[{section}]")
        lines += [f"{k} = {value(v)}" for k, v in values.items() if v is not None and not isinstance(v, dict)]
        for sub, table in values.items():
            if isinstance(table, dict):
                lines.append(f"[{section}.{sub}]")
                lines += [f"{k} = {value(v)}" for k, v in table.items() if v is not None]
    return "\n".join(lines) + "\n"


def write(tmp_path, text: str):
    path = tmp_path / "run.toml"
    path.write_text(text)
    return path


def test_toml_round_trip(tmp_path):
    config = RunConfig(
        ModelConfig(z_dim=16, generator_dims=(64, 128), critic_conv_dims=(32,), encoder_dims=(64,)),
        TrainConfig(steps=123, relaxation="gumbel_hard", lr_decay=0.5, time_limit_minutes=2.5,
                    critic=CriticConfig(loss="bce"), rl=RLConfig(reward="qed")),
    ).validate()
    loaded = load_config(write(tmp_path, to_toml(config.to_dict())))
    assert loaded == config
    assert loaded.model.generator_dims == (64, 128)
    assert RunConfig.from_dict(config.to_dict()) == config


def test_empty_file_gives_the_defaults(tmp_path):
    assert load_config(write(tmp_path, "")) == RunConfig()


@pytest.mark.parametrize(
    "text, needle",
    [
        ("[train]\nstpes = 10\n", "stpes"),
        ("[model]\nz_dimm = 10\n", "z_dimm"),
        ("[trian]\nsteps = 10\n", "trian"),
        ("steps = 10\n", "steps"),
    ],
)
def test_unknown_keys_are_refused_by_name(tmp_path, text, needle):
    with pytest.raises(ConfigError, match=needle):
        load_config(write(tmp_path, text))


@pytest.mark.parametrize(
    "text, needle",
    [
        ("[train]\nsteps = -5\n", "steps"),
        ("[train]\nsteps = 0\n", "steps"),
        ("[train]\nsteps = 'ten'\n", "integer"),
        ("[train]\nsteps = 1.5\n", "integer"),
        ("[train]\nloss = 'minimax'\n", "loss"),
        ("[train]\nrelaxation = 'gumbel_soft'\n", "relaxation"),
        ("[train]\nlatent_regularizer = 'vq'\n", "latent_regularizer"),
        ("[train]\nbatch_size = true\n", "integer"),
        ("[train]\nlr_generator = -0.1\n", "lr_generator"),
        ("[train]\nlr_decay = 0\n", "lr_decay"),
        ("[train]\nrl_lambda = 1.5\n", "train.rl.lambda_gan"),
        ("[train]\ntemperature = 0\n", "temperature"),
        ("[train]\ndevice = 'tpu'\n", "device"),
        ("[model]\ngenerator_dims = []\n", "generator_dims"),
        ("[model]\ngenerator_dims = 128\n", "list"),
        ("[model]\ncritic_conv_dims = [16, -1]\n", "critic_conv_dims"),
        ("[model]\ngenerator_dropout = 1.0\n", "generator_dropout"),
        ("model = 3\n", "table"),
    ],
)
def test_bad_values_are_refused(tmp_path, text, needle):
    with pytest.raises(ConfigError, match=needle):
        load_config(write(tmp_path, text))


def test_non_integer_list_items_are_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="generator_dims"):
        load_config(write(tmp_path, "[model]\ngenerator_dims = ['wide']\n"))


def test_a_number_for_device_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="device"):
        load_config(write(tmp_path, "[train]\ndevice = 1\n"))


@pytest.mark.parametrize("text", ["[train]\ntime_limit_minutes = 'soon'\n", "[train]\ntime_limit_minutes = -1\n", "[train]\nthreads = 'many'\n"])
def test_optional_numbers_are_validated(tmp_path, text):
    with pytest.raises(ConfigError):
        load_config(write(tmp_path, text))


def test_unreadable_files_are_config_errors(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "missing.toml")
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(write(tmp_path, "[train\nsteps = 1\n"))
    (tmp_path / "bin.toml").write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ConfigError):
        load_config(tmp_path / "bin.toml")


def test_overrides_replace_train_fields_and_are_validated():
    config = RunConfig().with_overrides(steps=7, loss=None, seed=3)
    assert config.train.steps == 7 and config.train.critic.loss == "bce" and config.train.seed == 3
    with pytest.raises(ConfigError, match="stpes"):
        RunConfig().with_overrides(stpes=7)
    with pytest.raises(ConfigError, match="loss"):
        RunConfig().with_overrides(loss="minimax")
