"""``paxsilica calibrate``: fit behavioural parameters to the real episodes (issue 12)."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from paxsilica import workflows_calibration as wc
from paxsilica.calibration.fit import METHODS
from paxsilica.cli import scale
from paxsilica.cli.common import err, user_errors

__all__ = ["Sampler", "calibrate"]


#: The samplers of :func:`paxsilica.calibration.fit.fit`, as CLI choices.
Sampler = Enum("Sampler", {m: m for m in METHODS}, type=str)


@user_errors
def calibrate(
    population: Annotated[int, typer.Option(min=4, help="ABC-SMC particles per generation.")]
    = 120,
    generations: Annotated[int, typer.Option(min=1, help="Most ABC-SMC generations.")] = 8,
    draws: Annotated[int, typer.Option(min=5, help="Monte Carlo draws per episode and "
                                                   "particle.")] = 20,
    seed: Annotated[int, typer.Option(help="Seed of the ABC-SMC sampler.")] = 12,
    max_simulations: Annotated[int | None, typer.Option(
        min=1, help="Simulation budget: start no generation that would pass it (replenish), "
                    "or none after it (pyabc).")] = 1400,
    method: Annotated[Sampler, typer.Option(
        help="Sampler: pyabc (ABC-SMC, importance weights) or replenish (ABC-SMC with MCMC "
             "moves, equal weights; the shipped fit).")] = Sampler.replenish,
    workers: scale.WorkersOption = None,
    scheduler: scale.SchedulerOption = None,
    out: Annotated[Path | None, typer.Option(
        help="Folder for calibrated_parameters.csv and calibrated_posterior.csv (the "
             "shipped ones: src/paxsilica/data/calibrated).")] = None,
) -> None:
    """Fit behavioural parameters to the training episodes by ABC-SMC; report coverage.

    The defaults reproduce the shipped calibration (src/paxsilica/data/calibrated);
    --workers 2 runs each particle's episodes on a Dask LocalCluster, with the same result.
    """
    outcome = wc.calibrate(population=population, generations=generations, draws=draws,
                           seed=seed, out=out, max_simulations=max_simulations,
                           workers=workers, scheduler=scheduler, method=method.value)
    typer.echo(outcome.parameters[["parameter", "prior_low", "prior_high", "shipped", "p5",
                                   "p50", "p95"]].to_string(index=False, float_format="%.3f"))
    typer.echo(f"before (shipped values): {wc.coverage_line(outcome.before)}")
    typer.echo(f"after (posterior P50):   {wc.coverage_line(outcome.after)}")
    typer.echo(f"{outcome.result.simulations} simulations, {outcome.seconds:.0f} s; epsilons "
               + ", ".join(f"{e:.3g}" for e in outcome.result.epsilons)
               + f"; effective sample size {outcome.result.effective_sample_size:.2g} of "
               f"{len(outcome.result.posterior)} particles"
               + ("; MCMC acceptance " + ", ".join(f"{a:.2f}" for a in outcome.result.acceptance)
                  if outcome.result.acceptance else ""))
    for path in outcome.written:
        err.print(f"wrote {path}", highlight=False, markup=False)
