"""The replenishment ABC-SMC sampler on a model whose ABC posterior is known by hand.

Distance ``max(|a - 0.3|, |b - 0.7|)`` under a uniform prior on the unit square: the ABC
posterior at threshold epsilon is uniform on the square of half-width epsilon around
(0.3, 0.7), so each coordinate has mean 0.3 (0.7) and standard deviation epsilon / sqrt(3),
and a quarter of the particles lie within epsilon / 2 of the centre in both coordinates.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from paxsilica.calibration.replenish import moves_for, replenish

CENTRE = np.array([0.3, 0.7])


def _box(theta: np.ndarray) -> np.ndarray:
    return np.abs(theta - CENTRE).max(axis=1)


def test_the_posterior_is_uniform_on_the_box_of_the_last_threshold() -> None:
    pop = replenish(_box, np.zeros(2), np.ones(2), population=400, generations=8, seed=1)
    eps = pop.epsilons[-1]
    assert list(pop.epsilons) == sorted(pop.epsilons, reverse=True)
    assert eps < 0.1 < pop.epsilons[0]
    assert (pop.distances <= eps).all()
    np.testing.assert_array_equal(pop.distances, _box(pop.particles))
    assert pop.particles.mean(axis=0) == pytest.approx(CENTRE, abs=eps / 4)
    assert pop.particles.std(axis=0) == pytest.approx(np.full(2, eps / math.sqrt(3)), rel=0.25)
    inner = (np.abs(pop.particles - CENTRE) < eps / 2).all(axis=1).mean()
    assert 0.12 < inner < 0.38  # a quarter, with MCMC copies correlated
    assert len(np.unique(pop.particles, axis=0)) > 300  # the copies moved


def test_a_seed_reproduces_the_population_and_another_differs() -> None:
    kwargs = {"population": 40, "generations": 3}
    a = replenish(_box, np.zeros(2), np.ones(2), seed=5, **kwargs)
    b = replenish(_box, np.zeros(2), np.ones(2), seed=5, **kwargs)
    c = replenish(_box, np.zeros(2), np.ones(2), seed=6, **kwargs)
    np.testing.assert_array_equal(a.particles, b.particles)
    assert a.epsilons == b.epsilons and a.simulations == b.simulations
    assert not np.array_equal(a.particles, c.particles)


def test_the_simulation_budget_is_never_passed() -> None:
    calls = []

    def counted(theta: np.ndarray) -> np.ndarray:
        calls.append(len(theta))
        return _box(theta)

    pop = replenish(counted, np.zeros(2), np.ones(2), population=40, generations=50,
                    max_simulations=500, seed=2)
    assert pop.simulations == sum(calls) <= 500
    assert len(pop.epsilons) < 50


def test_proposals_outside_the_prior_are_never_simulated() -> None:
    seen = []

    def recorded(theta: np.ndarray) -> np.ndarray:
        seen.append(theta)
        return _box(theta)

    replenish(recorded, np.zeros(2), np.ones(2), population=40, generations=4, seed=3)
    every = np.concatenate(seen)
    assert ((every >= 0.0) & (every <= 1.0)).all()


def test_moves_by_hand() -> None:
    # ceil(ln 0.01 / ln(1 - p)): p = 0.8 -> ceil(2.86) = 3; p = 0.2 -> ceil(20.6) = 21 -> cap
    assert moves_for(0.8, 6) == 3
    assert moves_for(0.2, 6) == 6
    assert moves_for(0.2, 30) == 21
    assert moves_for(0.995, 6) == 1
    assert moves_for(0.0, 6) == 6


def test_a_walk_that_no_longer_mixes_stops() -> None:
    # every move is refused (a distance far above any threshold outside the first draws):
    # the acceptance rate 0 ends the run after one generation
    first = {"done": False}

    def sticky(theta: np.ndarray) -> np.ndarray:
        if not first["done"]:
            first["done"] = True
            return _box(theta)
        return np.full(len(theta), 10.0)

    pop = replenish(sticky, np.zeros(2), np.ones(2), population=20, generations=5, seed=4)
    assert pop.acceptance == (0.0,) and len(pop.epsilons) == 1
