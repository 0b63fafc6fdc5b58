"""Transforms at known points, monotonicity, edges; aggregations by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from molgan.errors import ConfigError
from molgan.scoring import (
    AGGREGATIONS,
    TRANSFORMS,
    DoubleSigmoid,
    Identity,
    ReverseSigmoid,
    Sigmoid,
    Step,
    arithmetic_mean,
    geometric_mean,
)

finite = st.floats(min_value=-1e3, max_value=1e3, allow_nan=False)


def test_registry():
    assert set(TRANSFORMS) == {"identity", "sigmoid", "reverse_sigmoid", "double_sigmoid", "step"}
    assert set(AGGREGATIONS) == {"arithmetic", "geometric"}


def test_sigmoid_known_points():
    f = Sigmoid(low=2.0, high=6.0, k=0.5)
    x = np.array([4.0, 2.0, 6.0, np.nan])
    y = f(x)
    assert y[0] == pytest.approx(0.5)
    # REINVENT: 1 / (1 + 10 ** (-10 k (x - mid) / (high - low)))
    assert y[1] == pytest.approx(1 / (1 + 10 ** 2.5))
    assert y[2] == pytest.approx(1 / (1 + 10 ** -2.5))
    assert math.isnan(y[3])


def test_reverse_sigmoid_mirrors_sigmoid():
    x = np.linspace(-5, 15, 41)
    np.testing.assert_allclose(ReverseSigmoid(0, 10, 0.3)(x), 1 - Sigmoid(0, 10, 0.3)(x))
    assert ReverseSigmoid(0, 10)(np.array([5.0]))[0] == pytest.approx(0.5)


def test_double_sigmoid_known_points():
    f = DoubleSigmoid(low=200, high=500)
    y = f(np.array([200.0, 350.0, 500.0, 100.0, 800.0, np.nan]))
    assert y[0] == pytest.approx(0.5)
    assert y[1] == pytest.approx(1.0)
    assert y[2] == pytest.approx(0.5)
    assert y[3] == pytest.approx(0.0, abs=1e-12)
    assert y[4] == pytest.approx(0.0, abs=1e-12)
    assert math.isnan(y[5])
    # REINVENT's left wall: 1 / (1 + 10 ** (-(coef_si / coef_div) (x - low)))
    g = DoubleSigmoid(low=200, high=500, coef_div=500, coef_si=20, coef_se=20)
    assert g(np.array([225.0]))[0] == pytest.approx(1 / (1 + 10 ** (-(20 / 500) * 25)))
    assert g(np.array([475.0]))[0] == pytest.approx(1 - 1 / (1 + 10 ** (-(20 / 500) * -25)))


def test_step_edges_are_inside():
    y = Step(1, 3)(np.array([0.999, 1.0, 2.0, 3.0, 3.001, np.nan]))
    assert y[:5].tolist() == [0.0, 1.0, 1.0, 1.0, 0.0]
    assert math.isnan(y[5])


def test_identity_copies():
    x = np.array([0.2, np.nan])
    y = Identity()(x)
    y[0] = 1.0
    assert x[0] == 0.2


@given(st.lists(finite, min_size=2, max_size=20), finite, st.floats(min_value=0.1, max_value=100))
def test_sigmoids_are_monotonic_and_bounded(xs, low, width):
    x = np.sort(np.array(xs))
    high = low + width
    up = Sigmoid(low, high)(x)
    down = ReverseSigmoid(low, high)(x)
    assert np.all(np.diff(up) >= 0) and np.all(np.diff(down) <= 0)
    for y in (up, down, DoubleSigmoid(low, high)(x)):
        assert np.all((y >= 0) & (y <= 1))


@pytest.mark.parametrize("cls", [Sigmoid, ReverseSigmoid, DoubleSigmoid, Step])
def test_low_must_be_below_high(cls):
    with pytest.raises(ConfigError, match="low must be less than high"):
        cls(5, 5)
    with pytest.raises(ConfigError, match="low must be less than high"):
        cls(6, 5)


def test_aggregations_by_hand():
    scores = np.array([[0.5, 1.0, 0.0], [0.8, 0.25, 1.0]])
    weights = np.array([1.0, 3.0])
    np.testing.assert_allclose(arithmetic_mean(scores, weights), [(0.5 + 2.4) / 4, (1.0 + 0.75) / 4, 3.0 / 4])
    np.testing.assert_allclose(
        geometric_mean(scores, weights), [(0.5 * 0.8**3) ** 0.25, (1.0 * 0.25**3) ** 0.25, 0.0]
    )
    # a zero weight removes the component
    np.testing.assert_allclose(geometric_mean(scores, np.array([0.0, 1.0])), scores[1])
