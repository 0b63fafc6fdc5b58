"""Transforms that map a component's raw score onto [0, 1] (1 = wanted).

Each transform is a frozen dataclass of its parameters, callable on a float array; NaN stays NaN.
The sigmoid family follows REINVENT 4 (``reinvent/scoring/transforms/sigmoids.py``,
``sigmoid_functions.py`` and ``double_sigmoid.py``), so a REINVENT scoring setup carries over with the
same numbers. Look transforms up by name in :data:`TRANSFORMS`::

    TRANSFORMS["sigmoid"](low=0.0, high=5.0)(np.array([2.5]))  # -> [0.5]
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar, Protocol

import numpy as np

from molgan.errors import ConfigError

_LN10 = math.log(10.0)


class Transform(Protocol):
    """Maps raw scores ``[N]`` to transformed scores ``[N]`` in [0, 1]; NaN in, NaN out."""

    type: ClassVar[str]

    def __call__(self, x: np.ndarray) -> np.ndarray: ...


def _sigmoid10(h: np.ndarray) -> np.ndarray:
    """``1 / (1 + 10**-h)`` without overflow, written with tanh."""
    return 0.5 * (1.0 + np.tanh(0.5 * _LN10 * h))


def _check_low_high(low: float, high: float) -> None:
    if not (math.isfinite(low) and math.isfinite(high)):
        raise ConfigError(f"low and high must be finite numbers, got low={low}, high={high}")
    if not low < high:
        raise ConfigError(f"low must be less than high, got low={low}, high={high}")


@dataclass(frozen=True)
class Identity:
    """Leaves the raw score as it is; only for components whose raw score is already in [0, 1]."""

    type: ClassVar[str] = "identity"

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(x, dtype=np.float64).copy()


@dataclass(frozen=True)
class Sigmoid:
    """Rises from 0 (x well below ``low``) to 1 (x well above ``high``); 0.5 at ``(low + high) / 2``.

    REINVENT 4's ``sigmoid``: ``y = 1 / (1 + 10 ** (-10 k (x - (low + high) / 2) / (high - low)))``.
    With the default ``k = 0.5``, ``y(low) ~= 0.003`` and ``y(high) ~= 0.997``.
    """

    low: float
    high: float
    k: float = 0.5
    type: ClassVar[str] = "sigmoid"

    def __post_init__(self) -> None:
        _check_low_high(self.low, self.high)
        if not self.k > 0:
            raise ConfigError(f"k must be positive, got {self.k}")

    def __call__(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        slope = 10.0 * self.k / (self.high - self.low)
        return _sigmoid10(slope * (x - (self.low + self.high) / 2.0))


@dataclass(frozen=True)
class ReverseSigmoid:
    """Falls from 1 (x well below ``low``) to 0 (x well above ``high``): REINVENT 4's ``reverse_sigmoid``,
    ``1 - sigmoid(x; low, high, k)``.
    """

    low: float
    high: float
    k: float = 0.5
    type: ClassVar[str] = "reverse_sigmoid"

    def __post_init__(self) -> None:
        _check_low_high(self.low, self.high)
        if not self.k > 0:
            raise ConfigError(f"k must be positive, got {self.k}")

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return 1.0 - Sigmoid(self.low, self.high, self.k)(x)


@dataclass(frozen=True)
class DoubleSigmoid:
    """A plateau of 1 between ``low`` and ``high``: 0.5 at ``low`` and at ``high``, 0 far outside.

    REINVENT 4's ``double_sigmoid`` (``sigmoid_functions.double_sigmoid``): with
    ``c = (low + high) / 2``,
    ``y = 1 / (1 + 10 ** (-(coef_si / coef_div) (x - low)))`` for ``x < c`` and
    ``y = 1 - 1 / (1 + 10 ** (-(coef_se / coef_div) (x - high)))`` for ``x >= c``.
    The defaults (100, 150, 150) are REINVENT's; they make steep walls (1.5 decades per unit of x),
    so for wide ranges such as molecular weight raise ``coef_div`` (e.g. 500 with 20, 20).
    """

    low: float
    high: float
    coef_div: float = 100.0
    coef_si: float = 150.0
    coef_se: float = 150.0
    type: ClassVar[str] = "double_sigmoid"

    def __post_init__(self) -> None:
        _check_low_high(self.low, self.high)
        for name in ("coef_div", "coef_si", "coef_se"):
            if not getattr(self, name) > 0:
                raise ConfigError(f"{name} must be positive, got {getattr(self, name)}")

    def __call__(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        left = _sigmoid10(self.coef_si / self.coef_div * (x - self.low))
        right = 1.0 - _sigmoid10(self.coef_se / self.coef_div * (x - self.high))
        return np.where(x < (self.low + self.high) / 2.0, left, right)


@dataclass(frozen=True)
class Step:
    """1 where ``low <= x <= high`` (edges included), else 0 (REINVENT 4's ``step``)."""

    low: float
    high: float
    type: ClassVar[str] = "step"

    def __post_init__(self) -> None:
        _check_low_high(self.low, self.high)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        inside = ((x >= self.low) & (x <= self.high)).astype(np.float64)
        return np.where(np.isnan(x), np.nan, inside)


#: Transforms by the name used in TOML (``transform = { type = "sigmoid", ... }``).
TRANSFORMS: dict[str, type] = {
    cls.type: cls for cls in (Identity, Sigmoid, ReverseSigmoid, DoubleSigmoid, Step)
}
