"""Probability distributions for uncertain scenario parameters, and the ``Param`` type.

A numeric scenario parameter (a shock's severity, duration, start month, probability...) is
either a plain number or one of the distributions below, written in YAML as a mapping with a
``dist`` key::

    severity: 0.8                                        # a constant
    severity: {dist: uniform, low: 0.5, high: 0.9}
    severity: {dist: triangular, low: 0.3, mode: 0.6, high: 0.9}
    severity: {dist: normal, mean: 0.6, sd: 0.1, low: 0, high: 1}   # clipped to [low, high]
    severity: {dist: beta, a: 2, b: 5, low: 0, high: 1}             # scaled to [low, high]
    severity: {dist: choice, values: [0.5, 1.0], weights: [3, 1]}
    severity: {dist: constant, value: 0.8}                          # same as 0.8

Every distribution samples with ``sample(rng, size)``; :func:`sample_param` does the same for
a plain number, so engine code never has to tell the two apart. Randomness is an argument: the
caller passes one ``numpy.random.Generator``; nothing here seeds anything.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationInfo,
    model_validator,
)
from pydantic_core import PydanticCustomError

__all__ = [
    "Beta",
    "Choice",
    "Constant",
    "Distribution",
    "DistributionSpec",
    "Normal",
    "Number",
    "Param",
    "Triangular",
    "Uniform",
    "as_distribution",
    "param_support",
    "sample_param",
    "within",
]

#: A finite number given as a YAML/JSON number (strings and booleans are rejected, so a
#: quoted "0.5" or ``yes`` is reported instead of silently converted).
Number = Annotated[float, Field(strict=True)]

Size = int | tuple[int, ...]


class Frozen(BaseModel):
    """Base of every scenario model: immutable, unknown keys rejected, no NaN or infinity."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


class Distribution(Frozen):
    """A distribution of one scalar parameter; subclasses set ``dist`` and ``_draw``."""

    def sample(self, rng: np.random.Generator, size: Size) -> np.ndarray:
        """Draw ``size`` independent values (float64) using ``rng``; values lie in ``support()``."""
        return np.asarray(self._draw(rng, size), dtype=np.float64)

    def support(self) -> tuple[float, float]:
        """Smallest and largest value a sample can take (may be infinite)."""
        raise NotImplementedError

    def _draw(self, rng: np.random.Generator, size: Size) -> np.ndarray:
        raise NotImplementedError


def _bad(message: str) -> PydanticCustomError:
    return PydanticCustomError("distribution", message)


class Constant(Distribution):
    """Always ``value``; what a plain number means."""

    dist: Literal["constant"] = "constant"
    value: Number

    def support(self) -> tuple[float, float]:
        return (self.value, self.value)

    def _draw(self, rng: np.random.Generator, size: Size) -> np.ndarray:
        return np.full(size, self.value)


class Uniform(Distribution):
    """Uniform on ``[low, high]``."""

    dist: Literal["uniform"]
    low: Number
    high: Number

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if self.low > self.high:
            raise _bad(f"uniform needs low <= high (got low {self.low}, high {self.high})")
        return self

    def support(self) -> tuple[float, float]:
        return (self.low, self.high)

    def _draw(self, rng: np.random.Generator, size: Size) -> np.ndarray:
        return rng.uniform(self.low, self.high, size)


class Triangular(Distribution):
    """Triangular on ``[low, high]`` with its peak at ``mode``."""

    dist: Literal["triangular"]
    low: Number
    mode: Number
    high: Number

    @model_validator(mode="after")
    def _ordered(self) -> Triangular:
        if not self.low <= self.mode <= self.high:
            raise _bad(
                f"triangular needs low <= mode <= high "
                f"(got low {self.low}, mode {self.mode}, high {self.high})"
            )
        return self

    def support(self) -> tuple[float, float]:
        return (self.low, self.high)

    def _draw(self, rng: np.random.Generator, size: Size) -> np.ndarray:
        if self.low == self.high:  # numpy refuses a zero-width triangle
            return np.full(size, self.low)
        return rng.triangular(self.low, self.mode, self.high, size)


class Normal(Distribution):
    """Normal(``mean``, ``sd``), clipped (not truncated) to ``[low, high]`` when given.

    Clipping puts the tail mass on the bounds, e.g. a severity that cannot exceed 1.
    """

    dist: Literal["normal"]
    mean: Number
    sd: Number = Field(ge=0.0)
    low: Number | None = None
    high: Number | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Normal:
        if self.low is not None and self.high is not None and self.low > self.high:
            raise _bad(f"normal needs low <= high (got low {self.low}, high {self.high})")
        return self

    def support(self) -> tuple[float, float]:
        low = -math.inf if self.low is None else self.low
        high = math.inf if self.high is None else self.high
        return (low, high)

    def _draw(self, rng: np.random.Generator, size: Size) -> np.ndarray:
        low, high = self.support()
        return np.clip(rng.normal(self.mean, self.sd, size), low, high)


class Beta(Distribution):
    """Beta(``a``, ``b``) scaled from [0, 1] to ``[low, high]``."""

    dist: Literal["beta"]
    a: Number = Field(gt=0.0)
    b: Number = Field(gt=0.0)
    low: Number = 0.0
    high: Number = 1.0

    @model_validator(mode="after")
    def _ordered(self) -> Beta:
        if self.low > self.high:
            raise _bad(f"beta needs low <= high (got low {self.low}, high {self.high})")
        return self

    def support(self) -> tuple[float, float]:
        return (self.low, self.high)

    def _draw(self, rng: np.random.Generator, size: Size) -> np.ndarray:
        return self.low + (self.high - self.low) * rng.beta(self.a, self.b, size)


class Choice(Distribution):
    """One of ``values``, with probabilities proportional to ``weights`` (equal if omitted)."""

    dist: Literal["choice"]
    values: tuple[Number, ...] = Field(min_length=1)
    weights: tuple[Number, ...] | None = None

    @model_validator(mode="after")
    def _weights_fit(self) -> Choice:
        if self.weights is None:
            return self
        if len(self.weights) != len(self.values):
            raise _bad(
                f"choice has {len(self.values)} values but {len(self.weights)} weights"
            )
        if min(self.weights) < 0 or sum(self.weights) <= 0:
            raise _bad("choice weights must be >= 0 and not all zero")
        return self

    def support(self) -> tuple[float, float]:
        return (min(self.values), max(self.values))

    def _draw(self, rng: np.random.Generator, size: Size) -> np.ndarray:
        p = None
        if self.weights is not None:
            w = np.asarray(self.weights, dtype=np.float64)
            p = w / w.sum()
        return rng.choice(np.asarray(self.values, dtype=np.float64), size=size, p=p)


#: Any distribution, chosen by its ``dist`` key.
DistributionSpec = Annotated[
    Uniform | Triangular | Normal | Beta | Choice | Constant, Field(discriminator="dist")
]


def _param_kind(value: Any) -> str:
    # A mapping (or an already-built model) is a distribution; anything else must be a number.
    # Tag names must not collide with distribution keys (see scenario._yaml_path).
    return "distribution" if isinstance(value, dict | Distribution) else "number"


#: A numeric parameter: a plain number or a distribution.
Param = Annotated[
    Annotated[Number, Tag("number")] | Annotated[DistributionSpec, Tag("distribution")],
    Discriminator(_param_kind),
]


def as_distribution(param: float | Distribution) -> Distribution:
    """The parameter as a :class:`Distribution`; a plain number becomes a :class:`Constant`."""
    if isinstance(param, Distribution):
        return param
    return Constant(value=float(param))


def param_support(param: float | Distribution) -> tuple[float, float]:
    """Smallest and largest value the parameter can take."""
    return as_distribution(param).support()


def sample_param(
    param: float | Distribution,
    rng: np.random.Generator,
    size: Size,
    *,
    integer: bool = False,
) -> np.ndarray:
    """Draw ``size`` values of a number-or-distribution parameter.

    Parameters
    ----------
    param : float or Distribution
        The parameter as stored in a scenario.
    rng : numpy.random.Generator
        The only source of randomness. A constant consumes no random numbers.
    size : int or tuple of int
        Output shape.
    integer : bool
        Round to the nearest whole number (months), returned as int64.

    Returns
    -------
    numpy.ndarray
        float64 (or int64 when ``integer``) array of shape ``size``.
    """
    values = as_distribution(param).sample(rng, size)
    return np.rint(values).astype(np.int64) if integer else values


def within(low: float | None, high: float | None) -> AfterValidator:
    """A validator (for ``Annotated[Param, within(0, 1)]``) that checks a parameter (number or distribution's support) lies in bounds.

    The message names the field and the bounds, e.g. ``severity 1.4 is outside 0..1``.
    """

    def check(value: float | Distribution, info: ValidationInfo) -> float | Distribution:
        lo, hi = param_support(value)
        too_low = low is not None and lo < low
        too_high = high is not None and hi > high
        if too_low or too_high:
            raise PydanticCustomError("range", _range_message(info.field_name, value, low, high))
        return value

    return AfterValidator(check)


def _range_message(
    name: str | None, value: float | Distribution, low: float | None, high: float | None
) -> str:
    bounds = (
        f"outside {_fmt(low)}..{_fmt(high)}"
        if low is not None and high is not None
        else f"below the minimum {_fmt(low)}"
        if low is not None
        else f"above the maximum {_fmt(high)}"
    )
    if isinstance(value, Distribution):
        lo, hi = value.support()
        hint = " (give a normal distribution low/high bounds)" if math.isinf(lo - hi) else ""
        return f"{name} {value.dist} distribution spans {_fmt(lo)}..{_fmt(hi)}, {bounds}{hint}"
    return f"{name} {_fmt(value)} is {bounds}"


def _fmt(x: float | None) -> str:
    if x is None:
        return "?"
    return str(int(x)) if float(x).is_integer() else f"{x:g}"
