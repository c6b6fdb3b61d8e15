"""The month step of :mod:`paxsilica.engine.step` run by JAX: ``jax.jit`` over ``lax.scan``.

The model is not written here: :class:`~paxsilica.engine.step.MonthStep` is traced with
``xp = jax.numpy``, the same code NumPy runs eagerly. The shock parameters of every 4096-draw
block are drawn by numpy (:func:`paxsilica.engine.sampling.draw_shocks`) on the host and passed
in, so the only differences from the numpy backend are floating-point rounding (XLA fuses and
reorders some operations; float32 if selected) and the eager shortcuts NumPy takes (an
inactive export restriction routes by the closed form there, by flows here). The month loop
is a ``lax.scan``; the loops over topological layers, shocks and segments are unrolled at
trace time, so XLA sees one fused program per month. Runs on a GPU when JAX has one, else
the CPU.

Stated tolerance against numpy (tested on the CPU): float64 summaries agree within 1e-6
relative (+1e-9 absolute; measured <= 6e-15 on the built-in library); float32 within 2e-4
relative (+5e-5 absolute) on the embedded data's means and quantiles (measured <= 9.4e-5),
2e-3 on the hand-built mini world of the unit test, whose tiny markets round worse.
Discrete per-draw outcomes (stock-out month, capacity exits) may differ on a few knife-edge
draws in float32.

Importing this module enables ``jax_enable_x64`` (else float64 silently becomes float32).
"""

from __future__ import annotations

from typing import Any

import numpy as np

try:
    import jax
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    from paxsilica.errors import ModelError

    raise ModelError("backend 'jax' needs JAX: pip install 'paxsilica[gpu]' "
                     "(or 'jax[cuda12]' for an NVIDIA GPU)") from exc

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
from jax import lax  # noqa: E402

from paxsilica.engine.chunks import Model, new_outcomes  # noqa: E402
from paxsilica.engine.results import store_outcomes  # noqa: E402
from paxsilica.engine.sampling import BLOCK_DRAWS, draw_shocks, stack_draws  # noqa: E402
from paxsilica.engine.step import MonthStep  # noqa: E402

__all__ = ["device_name", "platform", "run_blocks", "shock_arrays"]


def platform() -> str:
    """``gpu``, ``cpu`` or ``tpu``: where JAX computes by default."""
    return str(jax.default_backend())


def device_name() -> str:
    """The device JAX computes on, e.g. ``NVIDIA H100 80GB HBM3`` or ``cpu``."""
    dev = jax.devices()[0]
    return str(getattr(dev, "device_kind", dev.platform))


def run_blocks(model: Model, seed: int, first: int, stop: int, n_draws: int,
               precision: str = "float64", blocks_per_call: int | None = None
               ) -> dict[str, np.ndarray]:
    """Per-draw outcomes of blocks ``[first, stop)`` of an ``n_draws`` run (see run_chunk).

    Blocks go through the jitted kernel ``blocks_per_call`` at a time (default: all),
    always as full blocks (the last block's padding draws are computed and dropped, which
    keeps the compiled shape fixed). Calls are dispatched asynchronously: the host draws the
    next call's shock parameters while the device computes.
    """
    kernel = _kernel(model, precision)
    per = max(1, stop - first if blocks_per_call is None else int(blocks_per_call))
    lo, hi = first * BLOCK_DRAWS, min(n_draws, stop * BLOCK_DRAWS)
    out = new_outcomes(model, hi - lo, n_draws)
    pending: list[tuple[int, Any]] = []
    for b0 in range(first, stop, per):
        pending.append((b0, kernel(*shock_arrays(model, seed, b0, min(stop, b0 + per),
                                                 precision))))
        if len(pending) > 2:  # bound device memory: at most 2 calls in flight
            _collect(out, lo, hi, *pending.pop(0))
    for b0, res in pending:
        _collect(out, lo, hi, b0, res)
    return out


def shock_arrays(model: Model, seed: int, first: int, stop: int,
                 precision: str = "float64") -> tuple[np.ndarray, ...]:
    """(start, end, value, leakage), each ``(shock, draw)``, for full blocks [first, stop)."""
    dtype = np.float64 if precision == "float64" else np.float32
    blocks = [stack_draws(draw_shocks(model.shocks, model.net.horizon, seed, b, BLOCK_DRAWS),
                          BLOCK_DRAWS, dtype) for b in range(first, stop)]
    return tuple(np.concatenate(parts, axis=1) for parts in zip(*blocks, strict=True))


def _collect(out: dict[str, np.ndarray], lo: int, hi: int, b0: int, res: Any) -> None:
    offset = b0 * BLOCK_DRAWS - lo
    m = min(len(res["policy_cost_usd"]), hi - lo - offset)
    store_outcomes(out, offset, {name: np.asarray(value)[:m] for name, value in res.items()
                                 if name in out})


def _kernel(model: Model, precision: str) -> Any:
    key = ("jax", precision)
    if key not in model.cache:
        model.cache[key] = jax.jit(_build(model, jnp.float64 if precision == "float64"
                                          else jnp.float32))
    return model.cache[key]


def _build(model: Model, dtype: Any) -> Any:
    """The jittable run: shock parameters (shock, draw) -> per-draw outcomes."""
    net = model.net
    step = MonthStep(net, model.shocks, model.levers, jnp, dtype)
    view_of = jnp.asarray([net.view_at(m) for m in range(net.horizon)], dtype=jnp.int32)

    def run(start: Any, end: Any, value: Any, leakage: Any) -> tuple[Any, ...]:
        params = (start, end, value, leakage)

        def month(state: dict[str, Any], xs: tuple[Any, Any]) -> tuple[dict[str, Any], None]:
            return step.step(params, state, xs[0], xs[1])[0], None

        state = step.init(start.shape[1])  # (shocks, draws); also set when there are no shocks
        state, _ = lax.scan(month, state, (jnp.arange(net.horizon, dtype=jnp.int32), view_of))
        outcomes = step.finish(state)
        # Cast on the device to the outcome dtypes (float32, int16), as numpy's placement does:
        # round-to-nearest either way, and half the bytes to copy back.
        return {name: value if name == "policy_cost_usd"
                else value.astype(jnp.int16 if name.endswith("stock_out_month") else jnp.float32)
                for name, value in outcomes.items()}

    return run
