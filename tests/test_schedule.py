"""The training schedule's predicates and the generator's weighted loss, as pure functions."""

import pytest
import torch

from molgan.config import RunConfig
from molgan.training.loop import Schedule
from molgan.training.steps import LossWeights, generator_loss


def _train_config(**flat):
    """A training config from flat option names (as the CLI flags)."""
    return RunConfig().with_overrides(**flat).train


def _schedule(**overrides) -> Schedule:
    cfg = _train_config(**{"steps": 100, "eval_every": 30, "checkpoint_every": 40, "rl_start": 0.5, "rl_lambda": 0.5,
                           "elite_every": 10, "noise_prior": "mixture", "noise_prior_start": 0.2,
                           "noise_prior_every": 25, **overrides})
    return Schedule.from_config(cfg, reward=True, pool=True, encoder=True)


def test_evaluation_and_checkpoints_fall_on_their_period_and_at_the_end():
    schedule = _schedule()
    assert [d for d in range(1, 101) if schedule.eval_due(d)] == [30, 60, 90, 100]
    assert [d for d in range(1, 101) if schedule.checkpoint_due(d)] == [40, 80, 100]


def test_rl_pool_updates_and_prior_refits_start_where_configured():
    schedule = _schedule()
    assert not schedule.rl_on(49) and schedule.rl_on(50)
    assert [s for s in range(100) if schedule.pool_update_due(s)] == [50, 60, 70, 80, 90]
    # every 25 steps from step 20, and with each pool update (the data it is fitted to changed)
    assert [s for s in range(100) if schedule.prior_refit_due(s)] == [20, 45, 50, 60, 70, 80, 90, 95]


def test_lambda_one_means_no_rl_and_no_encoder_means_no_prior():
    assert not any(_schedule(rl_lambda=1.0).rl_on(s) for s in range(100))
    cfg = _train_config(steps=100, noise_prior="mixture")
    schedule = Schedule.from_config(cfg, reward=False, pool=False, encoder=False)
    assert not any(schedule.prior_refit_due(s) or schedule.pool_update_due(s) for s in range(100))


def test_critic_updates_and_time_limit():
    assert _schedule(adversarial_weight=1.0, n_critic=3).critic_steps == 3
    assert _schedule(adversarial_weight=0.0, n_critic=3).critic_steps == 0
    limited = _schedule(time_limit_minutes=0.5)
    assert not limited.out_of_time(30.0) and limited.out_of_time(30.1)
    assert not _schedule().out_of_time(1e9)


def test_generator_loss_weights_each_term():
    terms = {k: torch.tensor(v) for k, v in
             {"g_adv": 2.0, "g_reward": 0.5, "valence": 3.0, "connectivity": 1.0, "latent": 0.25, "recon": 4.0}.items()}
    weights = LossWeights(adversarial=1.0, valence=2.0, connectivity=5.0, reconstruction=0.5, latent=10.0, rl_lambda=0.25)
    # 1 * 0.25 * 2 - 0.75 * 0.5 + 2 * 3 + 5 * 1 + 0.5 * (4 + 10 * 0.25)
    assert generator_loss(terms, weights, rl_on=True).item() == pytest.approx(0.5 - 0.375 + 6 + 5 + 3.25)
    without_rl = {k: v for k, v in terms.items() if k != "g_reward"}
    assert generator_loss(without_rl, weights, rl_on=False).item() == pytest.approx(2.0 + 6 + 5 + 3.25)
    with pytest.raises(ValueError):
        generator_loss({}, weights, rl_on=False)
