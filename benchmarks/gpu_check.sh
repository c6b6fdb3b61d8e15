#!/usr/bin/env bash
# One prepared GPU check for issue 5 (JAX backend on an H100/H200): run once, about 5-7 min.
#
#   bash benchmarks/gpu_check.sh          # from the repository root; results in $OUT/gpu.json
#
# 1. dependencies: uses the machine's Python when it already has JAX with a GPU, pandas,
#    xarray, pyarrow, pyyaml and pydantic; else installs the missing ones from wheels carried
#    in build/whl (offline machines) or from PyPI ("jax[cuda13]" for CUDA 13, "jax[cuda12]"
#    as the fallback);
# 2. the project: `pip install --no-deps -e .`, or the source tree on PYTHONPATH;
# 3. benchmarks/bench_scaling.py gpu: default scenario (embedded data, ga-ge-ban, 36 months,
#    39 commodities x 3 segments), float32 and float64, 65,536 .. 4,194,304 draws; prints one
#    JSON line per measurement and a final JSON line with the card and the best
#    cell-months/s; writes $OUT/gpu.json (and $OUT/gpu.log).
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-$PWD/build/gpu-out}
mkdir -p "$OUT"
PY=${PYTHON:-python3}
export PYTHONUNBUFFERED=1
echo "== device"; nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
if ! $PY -c "import pydantic, yaml, pandas, xarray, pyarrow, typing_inspection" 2>/dev/null; then
  if ls build/whl/*.whl >/dev/null 2>&1; then
    $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
      --target /tmp/pxsite build/whl/*.whl && export PYTHONPATH=/tmp/pxsite
  else
    $PY -m pip install -q "pydantic>=2.7" pyyaml "pandas>=2.2" "xarray>=2024.1" "pyarrow>=15"
  fi
fi
if ! $PY -c "import jax, sys; sys.exit(jax.default_backend() != 'gpu')" 2>/dev/null; then
  $PY -m pip install -q -U "jax[cuda13]" || $PY -m pip install -q -U "jax[cuda12]"
fi
if ! $PY -m pip install -q --no-deps --no-build-isolation -e . 2>/dev/null; then
  export PYTHONPATH=$PWD/src${PYTHONPATH:+:$PYTHONPATH}
fi
$PY -c "import jax, paxsilica; print('jax', jax.__version__, jax.devices())"
echo "== benchmark"
timeout 420 $PY benchmarks/bench_scaling.py gpu --out "$OUT/gpu.json" 2>&1 | tee "$OUT/gpu.log"
echo "== done rc=$?"
