"""ABC-SMC with MCMC moves: the replenishment sampler of Drovandi and Pettitt (2011).

pyabc's ABC-SMC moves particles by importance sampling: each generation's particles are
drawn from a kernel around the last and weighted by prior / proposal density. In nineteen
dimensions those weights degenerate (one particle held 97-100% of the weight in three of
the fits of docs/calibration.md 4.2), so the "posterior" was a point. This sampler keeps
every particle at equal weight instead:

1. draw ``population`` particles from the uniform prior and simulate each;
2. each generation, keep the ``1 - drop`` share with the smallest distances; the largest
   kept distance is the new threshold epsilon;
3. replace the dropped particles by copies of kept ones (uniformly) and move each copy by
   ``moves`` Metropolis-Hastings steps that leave the ABC posterior at epsilon invariant: a
   Gaussian random walk in logit coordinates (each parameter's position in its prior range,
   so no proposal leaves the prior) with 2.38^2 / p times the kept particles' covariance
   there, accepted with the uniform prior's density ratio in those coordinates (drawn first:
   a proposal it refuses is never simulated) and when its distance is at most epsilon;
4. the number of moves follows the last acceptance rate ``p``: enough that a particle moves
   at least once with probability 0.99, ``ceil(ln 0.01 / ln(1 - p))``, capped at
   ``max_moves``.

It stops when a generation would pass ``max_simulations``, after ``generations``
generations, or when fewer than 1.5% of the moves are accepted (Drovandi and Pettitt's
stopping rule: the walk no longer mixes at that epsilon). All random numbers come from one
seeded ``numpy.random.Generator`` in the calling process and each batch is simulated in
order-independent fashion, so a seed reproduces the result wherever the batches run.

Reference: C. C. Drovandi and A. N. Pettitt (2011), Estimation of parameters for
macroparasite population evolution using approximate Bayesian computation, *Biometrics*
67(1), 225-233.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["Population", "moves_for", "replenish"]

#: Distance of a batch of parameter vectors ``(n, p)`` -> ``(n,)``; one call per batch so a
#: caller can run the batch in parallel.
BatchDistance = Callable[[np.ndarray], np.ndarray]

_MIN_ACCEPT = 0.015  # below this acceptance rate the walk no longer mixes: stop
_MOVE_MISS = 0.01  # chance that a copy is never moved by its MCMC steps
_EDGE = 1e-12  # keeps the logit of a draw on a prior bound finite


@dataclass(frozen=True)
class Population:
    """The last generation: equally weighted particles ``(population, p)``, their distances,
    and how it was reached."""

    particles: np.ndarray
    distances: np.ndarray
    epsilons: tuple[float, ...]
    acceptance: tuple[float, ...]  # share of MCMC proposals accepted, per generation
    simulations: int


def moves_for(acceptance: float, max_moves: int) -> int:
    """MCMC steps per copy so that it moves at least once with probability 0.99, given the
    last ``acceptance`` rate: ``ceil(ln 0.01 / ln(1 - acceptance))``, in [1, ``max_moves``]."""
    if acceptance >= 1.0 - _MOVE_MISS:
        return 1
    if acceptance <= 0.0:
        return max_moves
    return min(max(math.ceil(math.log(_MOVE_MISS) / math.log1p(-acceptance)), 1), max_moves)


def _to_unbounded(theta: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """logit of each parameter's position in its prior range (the walk's coordinates)."""
    u = np.clip((theta - low) / (high - low), _EDGE, 1.0 - _EDGE)
    return np.log(u) - np.log1p(-u)


def _from_unbounded(z: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """The parameters at logit coordinates ``z`` (inverse of :func:`_to_unbounded`)."""
    return low + 1.0 / (1.0 + np.exp(-z)) * (high - low)


def _log_jacobian(z: np.ndarray) -> np.ndarray:
    """log density of the uniform prior in logit coordinates, per row: sum ln s (1 - s)."""
    return (-np.logaddexp(0.0, -z) - np.logaddexp(0.0, z)).sum(axis=-1)


def replenish(distance: BatchDistance, low: np.ndarray, high: np.ndarray, *,
              population: int, drop: float = 0.5, generations: int = 8,
              max_simulations: int | None = None, max_moves: int = 6,
              seed: int = 12) -> Population:
    """The replenishment ABC-SMC posterior of a uniform prior on ``[low, high]`` (``(p,)``).

    ``distance`` is called on batches of parameter vectors; ``drop`` is the share of
    particles replaced each generation. See the module docstring for the algorithm.
    """
    rng = np.random.default_rng(seed)
    low, high = np.asarray(low, dtype=float), np.asarray(high, dtype=float)
    theta = low + rng.random((population, low.size)) * (high - low)
    rho = np.asarray(distance(theta), dtype=float)
    simulations, epsilons, rates = population, [], []
    keep = population - max(round(drop * population), 1)
    moves = 1
    for _ in range(generations):
        order = np.argsort(rho, kind="stable")
        theta, rho = theta[order], rho[order]
        eps = float(rho[keep - 1])
        n_new = population - keep
        if max_simulations is not None and simulations + n_new * moves > max_simulations:
            break
        z = _to_unbounded(theta, low, high)
        # the random walk's scale for a Gaussian target in p dimensions (2.38^2 / p; Roberts,
        # Gelman and Gilks 1997): twice the covariance, Drovandi and Pettitt's choice in two
        # dimensions, leaves almost no proposal acceptable in nineteen
        cov = (2.38 ** 2 / low.size) * np.atleast_2d(np.cov(z[:keep], rowvar=False))
        parents = rng.integers(0, keep, size=n_new)
        moved_z, moved_rho = z[parents].copy(), rho[parents].copy()
        went = np.zeros(n_new, dtype=bool)
        accepted = 0
        for _step in range(moves):
            # SVD: the kept particles may not span every dimension (a singular covariance)
            proposal = moved_z + rng.multivariate_normal(np.zeros(low.size), cov, size=n_new)
            # the prior's ratio first: a proposal it refuses is never simulated
            prior_ok = np.log(rng.random(n_new)) < _log_jacobian(proposal) \
                - _log_jacobian(moved_z)
            new_rho = np.full(n_new, np.inf)
            if prior_ok.any():
                new_rho[prior_ok] = distance(_from_unbounded(proposal[prior_ok], low, high))
                simulations += int(prior_ok.sum())
            ok = new_rho <= eps
            moved_z[ok], moved_rho[ok] = proposal[ok], new_rho[ok]
            went |= ok
            accepted += int(ok.sum())
        rate = accepted / (n_new * moves)
        # a copy that never moved keeps its parent's exact values (no logit round trip)
        moved = np.where(went[:, None], _from_unbounded(moved_z, low, high), theta[parents])
        theta = np.concatenate([theta[:keep], moved])
        rho = np.concatenate([rho[:keep], moved_rho])
        epsilons.append(eps)
        rates.append(rate)
        if rate < _MIN_ACCEPT:
            break
        moves = moves_for(rate, max_moves)
    return Population(particles=theta, distances=rho, epsilons=tuple(epsilons),
                      acceptance=tuple(rates), simulations=simulations)
