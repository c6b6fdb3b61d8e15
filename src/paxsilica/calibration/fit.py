"""ABC-SMC fit of the behavioural parameters to the training episodes.

Two samplers: the replenishment ABC-SMC with MCMC moves and equal weights
(``method="replenish"``, :mod:`paxsilica.calibration.replenish`; the shipped fit), which
runs a generation's moves as one batch, so with a Dask ``client`` every particle's episodes
run at once; and pyabc's ABC-SMC with importance weights (``method="pyabc"``; the shipped
fit until its weights were found to degenerate in nineteen dimensions: an effective sample
size of 1 to 9 of 120 particles).

Summary statistic per training observation: the model's P50 over a few Monte Carlo draws on
the episode's own seed (common random numbers, so the simulator is deterministic in the
parameters). Distance: the sum over observations of how far the P50 lies outside its band,
relative to the band's scale (0 inside the band). Priors are uniform on each parameter's
range (:data:`~paxsilica.calibration.evaluate.PARAMETERS`). pyabc's single-core sampler draws
from NumPy's global generator, which :func:`fit` seeds, so a seed reproduces the posterior.

Scale-out keeps that: the sampler stays sequential and one particle's (pyabc) or one
batch's (replenish) episodes run at once as Dask tasks (``client``), each on the episode's
own seed, so the summary statistics, and with them the posterior, do not depend on where or
in which order the episodes ran.

Only observations with ``role: training`` and no ``missing`` mechanism are fitted; held-out
observations are never seen by the fit.
"""

from __future__ import annotations

import logging
import math
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from paxsilica.calibration.episodes import Episode, Observation
from paxsilica.calibration.evaluate import (PARAMETERS, episode_values, options_and_dataset,
                                            weighted_quantile)
from paxsilica.calibration.replenish import replenish
from paxsilica.model.dataset import Dataset

__all__ = ["METHODS", "FitResult", "band_distance", "effective_sample_size", "episode_p50s",
           "fit", "total_distance", "weighted_quantile"]

_OFFSET = 0.01  # keeps the log distance finite for shares near zero

#: The samplers :func:`fit` offers.
METHODS = ("pyabc", "replenish")


def band_distance(value: float, band: tuple[float, float]) -> float:
    """How far ``value`` lies outside ``band`` on a log scale (0 inside the band).

    ``|ln((v + c) / (edge + c))|`` to the nearest edge, with ``c`` = 0.01 so that shares
    near zero (a shortage share, a supply gain) have a finite distance; for prices and
    weeks, ``c`` is negligible and the distance is the relative miss (0.1 = about 10%). A
    negative value counts as 0; NaN (never happened in any draw) counts as 3 (a 20x miss).
    """
    if math.isnan(value):
        return 3.0
    low, high = band
    value = max(value, 0.0)
    if low <= value <= high:
        return 0.0
    edge = low if value < low else high
    return abs(math.log((value + _OFFSET) / (edge + _OFFSET)))


def total_distance(simulated: Mapping[str, float],
                   bands: Mapping[str, tuple[float, float]]) -> float:
    """The fit's distance: the sum over the fitted observations of :func:`band_distance`."""
    return float(sum(band_distance(simulated[k], bands[k]) for k in bands))


def _fitted(episodes: Sequence[Episode]) -> tuple[list[Episode], list[Observation]]:
    """Episodes with at least one fitted observation, and those observations."""
    observations = [o for ep in episodes for o in ep.observations if o.fitted]
    used = {o.episode for o in observations}
    return [ep for ep in episodes if ep.id in used], observations


@dataclass(frozen=True)
class FitResult:
    """The accepted population of the last generation and how it was obtained."""

    posterior: pd.DataFrame  # one row per particle: parameter columns and ``weight``
    observations: tuple[str, ...]  # keys of the fitted observations
    epsilons: tuple[float, ...]  # acceptance threshold per generation
    simulations: int
    seed: int
    draws: int
    method: str = "replenish"
    acceptance: tuple[float, ...] = ()  # replenish: MCMC acceptance rate per generation

    @property
    def effective_sample_size(self) -> float:
        """Kish's effective sample size of the weighted posterior, (sum w)^2 / sum w^2, with
        identical particles merged (an MCMC copy that never moved is one particle): the
        number of particles (1 to the population) it is worth. Near 1, one particle holds
        the weight: the posterior is a point and carries no parameter uncertainty."""
        names = [p.name for p in PARAMETERS]
        merged = self.posterior.groupby(names, sort=False)["weight"].sum()
        return effective_sample_size(merged.to_numpy())

    def summary(self) -> pd.DataFrame:
        """Per parameter: prior range, shipped value, weighted P5/P50/P95 of the posterior."""
        rows = []
        w = self.posterior["weight"].to_numpy()
        for p in PARAMETERS:
            x = self.posterior[p.name].to_numpy()
            p5, p50, p95 = (weighted_quantile(x, w, q) for q in (0.05, 0.5, 0.95))
            rows.append({"parameter": p.name, "prior_low": p.low, "prior_high": p.high,
                         "shipped": p.shipped, "p5": p5, "p50": p50, "p95": p95})
        return pd.DataFrame(rows)


def episode_p50s(ep: Episode, ds: Dataset, values: Mapping[str, float], draws: int,
                 keys: Sequence[str]) -> dict[str, float]:
    """The P50 over ``draws`` draws of each of ``keys`` observed in ``ep`` at ``values``
    (NaN where the event happens in no draw); the fit's summary statistic for one episode."""
    options, data = options_and_dataset(ds, values)
    per_draw = episode_values(ep, data, options, draws)
    out: dict[str, float] = {}
    for key in set(keys) & per_draw.keys():
        ok = per_draw[key][~np.isnan(per_draw[key])]
        out[key] = float(np.median(ok)) if ok.size else math.nan
    return out


def _batch_runner(episodes: Sequence[Episode], ds: Dataset, keys: Sequence[str], draws: int,
                  client: Any | None
                  ) -> Callable[[Sequence[Mapping[str, float]]], list[dict[str, float]]]:
    """parameter sets -> summary statistics of each: every episode of every set at once on
    ``client``, one after the other here without one."""
    if client is None:
        return lambda batch: [{k: v for ep in episodes
                               for k, v in episode_p50s(ep, ds, values, draws, keys).items()}
                              for values in batch]
    remote_ds = client.scatter(ds, broadcast=True, hash=False)

    def run(batch: Sequence[Mapping[str, float]]) -> list[dict[str, float]]:
        futures = [[client.submit(episode_p50s, ep, remote_ds, dict(values), draws, keys,
                                  pure=False) for ep in episodes] for values in batch]
        return [{k: v for part in client.gather(row) for k, v in part.items()}
                for row in futures]

    return run


def effective_sample_size(weights: np.ndarray) -> float:
    """Kish's effective sample size (sum w)^2 / sum w^2 of importance ``weights``."""
    w = np.asarray(weights, dtype=float)
    return float(w.sum() ** 2 / (w ** 2).sum())


def fit(episodes: Sequence[Episode], ds: Dataset, *, population: int = 40,
        generations: int = 5, draws: int = 40, seed: int = 12,
        max_simulations: int | None = None, client: Any | None = None,
        method: str = "replenish") -> FitResult:
    """ABC-SMC posterior of :data:`PARAMETERS` given the episodes' fitted observations.

    ``method``: ``"replenish"`` (MCMC moves, equal weights, half the particles replaced a
    generation; :func:`paxsilica.calibration.replenish.replenish`) or ``"pyabc"``
    (importance weights).

    ``population`` particles per generation, at most ``generations`` generations, ``draws``
    Monte Carlo draws per episode and particle; no new generation starts once
    ``max_simulations`` simulations have run (pyabc) or that would pass it (replenish): a
    bound that, unlike wall time, keeps the fit reproducible. With ``client`` (a
    ``distributed.Client``) each particle's episodes run as Dask tasks on its workers; the
    posterior is the same as without (about 2.3 s per particle on one core with the eight
    shipped episodes and 20 draws on the country map).
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    used, observations = _fitted(episodes)
    bands = {o.key: o.band for o in observations}
    if method == "replenish":
        return _fit_replenish(used, ds, bands, population=population,
                              generations=generations, draws=draws, seed=seed,
                              max_simulations=max_simulations, client=client)
    import pyabc  # heavy import (SQLAlchemy, scikit-learn): only when fitting

    logging.getLogger("ABC").setLevel(logging.WARNING)
    count = {"n": 0}

    batch = _batch_runner(used, ds, tuple(bands), draws, client)  # pyabc: one at a time

    def model(particle: Mapping[str, float]) -> dict[str, float]:
        count["n"] += 1
        return batch([{p.name: float(particle[p.name]) for p in PARAMETERS}])[0]

    def distance(simulated: Mapping[str, float], _observed: Mapping[str, float]) -> float:
        return total_distance(simulated, bands)

    prior = pyabc.Distribution(**{p.name: pyabc.RV("uniform", p.low, p.high - p.low)
                                  for p in PARAMETERS})
    abc = pyabc.ABCSMC(model, prior, distance, population_size=population,
                       sampler=pyabc.sampler.SingleCoreSampler())
    np.random.seed(seed)  # pyabc draws from NumPy's global generator
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as tmp:
        abc.new("sqlite:///" + str(Path(tmp) / "abc.db"), {k: 0.0 for k in bands})
        history = abc.run(max_nr_populations=generations, minimum_epsilon=0.0,
                          max_total_nr_simulations=max_simulations or np.inf)
        frame, weights = history.get_distribution(m=0, t=history.max_t)
        epsilons = tuple(float(e) for e in history.get_all_populations()["epsilon"]
                         if np.isfinite(e))
    posterior = frame.reset_index(drop=True)[[p.name for p in PARAMETERS]].copy()
    posterior["weight"] = np.asarray(weights, dtype=float)
    return FitResult(posterior=posterior, observations=tuple(bands), epsilons=epsilons,
                     simulations=count["n"], seed=seed, draws=draws, method="pyabc")


def _fit_replenish(episodes: Sequence[Episode], ds: Dataset,
                   bands: Mapping[str, tuple[float, float]], *, population: int,
                   generations: int, draws: int, seed: int, max_simulations: int | None,
                   client: Any | None) -> FitResult:
    """:func:`fit` by the replenishment sampler: a generation's moves run as one batch."""
    run = _batch_runner(episodes, ds, tuple(bands), draws, client)
    names = [p.name for p in PARAMETERS]

    def distance(theta: np.ndarray) -> np.ndarray:
        stats = run([dict(zip(names, map(float, row), strict=True)) for row in theta])
        return np.array([total_distance(s, bands) for s in stats])

    result = replenish(distance, np.array([p.low for p in PARAMETERS]),
                       np.array([p.high for p in PARAMETERS]), population=population,
                       generations=generations, max_simulations=max_simulations, seed=seed)
    posterior = pd.DataFrame(result.particles, columns=names)
    posterior["weight"] = 1.0 / population
    return FitResult(posterior=posterior, observations=tuple(bands), epsilons=result.epsilons,
                     simulations=result.simulations, seed=seed, draws=draws,
                     method="replenish", acceptance=result.acceptance)
