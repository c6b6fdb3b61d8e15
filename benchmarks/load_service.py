"""Load benchmark of ``paxsilica serve`` on 127.0.0.1: readers and analysts sharing one service.

Starts the service (uvicorn, its own process, a fresh store, one analyst token per analyst),
warms it up, then times one run **alone** (its idle time). Then, for ``--seconds``:

- ``--readers`` threads read ``/api/health``, ``/api/risk``, ``/api/runs``, ``/api/runs/{id}``
  and ``/api/runs/{id}/fans`` as fast as they are answered;
- ``--analysts`` threads each start a run (``--draws`` draws of a built-in scenario), poll it
  until it is done, and start the next.

Reports the request count, errors (5xx, 4xx, timeouts, refused connections), P50/P95/P99
latency of reads per route and overall, each run's wall time (POST to ``complete``) and its
ratio to the idle time, runs still unfinished when the readers stopped, and the server's
resident memory (the service process and its children, i.e. Dask workers).

Usage::

    python benchmarks/load_service.py --readers 20 --analysts 3 --seconds 60 \
        --out benchmarks/results/load_20r3a.json
    python benchmarks/load_service.py --readers 50 --analysts 0 --seconds 60

The goals (issue 14): 20 readers + 3 analysts: no errors, read P95 under 1 s, every run done
within 3x its idle time; 50 readers: no errors. CI runs a short version
(tests/security/test_load_short.py). This is a benchmark, not a timed test: the figures depend
on the machine and on what else runs on it.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import psutil

from paxsilica.store.tokens import TokenStore

SCENARIOS = ("ree-export-controls", "ga-ge-ban", "taiwan-strait", "hormuz-closure")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_server(db: Path, port: int, max_draws: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PAXSILICA_DB": str(db), "PAXSILICA_OPEN_READ": "1",
           "PAXSILICA_MAX_DRAWS": str(max_draws)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "paxsilica.api.app:app_from_env", "--factory",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("the service did not start: "
                       + (proc.stderr.read().decode()[-2000:] if proc.stderr else ""))


class Tally:
    """Thread-safe latencies and failures per route."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.examples: list[str] = []

    def add(self, route: str, seconds: float, ok: bool, why: str = "") -> None:
        with self.lock:
            self.latency[route].append(seconds)
            if not ok:
                self.errors[route] += 1
                if len(self.examples) < 10:
                    self.examples.append(f"{route}: {why}")


def _call(client: httpx.Client, tally: Tally, route: str, method: str, url: str,
          **kwargs: Any) -> httpx.Response | None:
    started = time.perf_counter()
    try:
        answer = client.request(method, url, **kwargs)
    except httpx.HTTPError as exc:
        tally.add(route, time.perf_counter() - started, False, type(exc).__name__)
        return None
    ok = answer.status_code < 400
    tally.add(route, time.perf_counter() - started, ok, f"{answer.status_code} {answer.text[:120]}")
    return answer


def _reader(base: str, stop: threading.Event, runs: list[str], tally: Tally, seed: int) -> None:
    rng = random.Random(seed)
    with httpx.Client(base_url=base, timeout=60) as client:
        while not stop.is_set():
            pick = rng.random()
            run_id = rng.choice(runs) if runs else None
            if pick < 0.1:
                _call(client, tally, "GET /api/health", "GET", "/api/health")
            elif pick < 0.45 or run_id is None:
                material = rng.choice(["gallium", "lithium", "cobalt", None])
                _call(client, tally, "GET /api/risk", "GET", "/api/risk",
                      params={"material": material} if material else None)
            elif pick < 0.6:
                _call(client, tally, "GET /api/runs", "GET", "/api/runs", params={"limit": 20})
            elif pick < 0.9:
                _call(client, tally, "GET /api/runs/{id}", "GET", f"/api/runs/{run_id}")
            else:
                _call(client, tally, "GET /api/runs/{id}/fans", "GET",
                      f"/api/runs/{run_id}/fans")


def _run_once(client: httpx.Client, tally: Tally, scenario: str, draws: int, seed: int,
              timeout: float = 600.0) -> tuple[str | None, float, str, dict[str, Any]]:
    """Start one run and poll it until it leaves 'running'; (run id, wall s, final status,
    {compute s as the worker measured it, seconds per service phase})."""
    started = time.perf_counter()
    answer = _call(client, tally, "POST /api/runs", "POST", "/api/runs",
                   json={"scenario": scenario, "draws": draws, "seed": seed})
    if answer is None or answer.status_code != 202:
        return None, time.perf_counter() - started, "refused", {}
    run_id = str(answer.json()["run_id"])
    status, detail = "running", {}
    while time.perf_counter() - started < timeout:
        time.sleep(0.1)
        polled = _call(client, tally, "poll /api/runs/{id}", "GET", f"/api/runs/{run_id}")
        if polled is not None and polled.status_code == 200:
            body = polled.json()
            status = body.get("status", "?")
            if status not in ("running", "queued"):
                detail = {"compute_s": (body.get("meta") or {}).get("seconds"),
                          "phase_s": (body.get("progress") or {}).get("phase_s")}
                break
    return run_id, time.perf_counter() - started, status, detail


def _analyst(base: str, token: str, stop: threading.Event, runs: list[str], tally: Tally,
             done: list[dict[str, Any]], draws: int, index: int, stopped_at: list[float]
             ) -> None:
    with httpx.Client(base_url=base, timeout=60,
                      headers={"Authorization": f"Bearer {token}"}) as client:
        k = 0
        while not stop.is_set():
            scenario = SCENARIOS[(index + k) % len(SCENARIOS)]
            run_id, seconds, status, detail = _run_once(client, tally, scenario, draws,
                                                        1000 * index + k)
            compute = detail.get("compute_s")
            if run_id is not None:
                runs.append(run_id)
            finished = time.monotonic()
            done.append({"scenario": scenario, "seconds": round(seconds, 2), "status": status,
                         "compute_s": None if compute is None else round(float(compute), 2),
                         "phase_s": detail.get("phase_s"),
                         "after_readers_stopped": bool(stopped_at) and finished > stopped_at[0]})
            k += 1


def _percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {"n": 0}
    ms = np.asarray(values) * 1000
    return {"n": len(values), "p50_ms": round(float(np.percentile(ms, 50)), 1),
            "p95_ms": round(float(np.percentile(ms, 95)), 1),
            "p99_ms": round(float(np.percentile(ms, 99)), 1),
            "max_ms": round(float(ms.max()), 1)}


def _rss(process: psutil.Process) -> int:
    """Resident memory of the service and its children (Dask workers), bytes."""
    total = 0
    for proc in [process, *process.children(recursive=True)]:
        try:
            total += proc.memory_info().rss
        except psutil.Error:
            pass
    return total


def _idle_times(base: str, token: str, draws: int, tally: Tally,
                repeats: int = 3) -> dict[str, float]:
    """Each scenario's wall time alone (median of ``repeats`` runs, after a warm-up run),
    seconds: the idle time the loaded runs are compared with."""
    idle: dict[str, float] = {}
    with httpx.Client(base_url=base, timeout=120,
                      headers={"Authorization": f"Bearer {token}"}) as client:
        _run_once(client, tally, SCENARIOS[0], draws, 999_999)  # warm the workers up
        for k, scenario in enumerate(SCENARIOS):
            times = []
            for repeat in range(repeats):
                _, seconds, status, _ = _run_once(client, tally, scenario, draws,
                                                  900_000 + 10 * k + repeat)
                if status != "complete":
                    raise RuntimeError(f"the idle run of {scenario} ended {status}")
                times.append(seconds)
            idle[scenario] = round(float(np.median(times)), 3)
    return idle


def run_load(readers: int = 20, analysts: int = 3, seconds: float = 60.0, draws: int = 400,
             folder: Path | None = None) -> dict[str, Any]:
    """Run the benchmark; return its figures (see the module docstring)."""
    folder = Path(folder or tempfile.mkdtemp(prefix="paxsilica-load-"))
    db = folder / "runs.duckdb"
    with TokenStore.open(db) as tokens:
        secrets = [tokens.create("analyst", f"load analyst {k}")[0]
                   for k in range(max(1, analysts))]
    port = _free_port()
    server = _start_server(db, port, max(draws, 5000))
    process = psutil.Process(server.pid)
    base = f"http://127.0.0.1:{port}"
    warm = Tally()
    with httpx.Client(base_url=base, timeout=120) as client:
        for material in ("gallium", "lithium", "cobalt", None):
            client.get("/api/risk", params={"material": material} if material else None)
    # also with no analysts: the idle runs give the readers runs to read
    idle = _idle_times(base, secrets[0], draws, warm)
    with httpx.Client(base_url=base, timeout=60) as client:
        runs: list[str] = [r["run_id"] for r in client.get("/api/runs").json()]
    tally, stop, done, stopped_at = Tally(), threading.Event(), [], []
    rss = [_rss(process)]
    try:
        threads = [threading.Thread(target=_analyst, args=(base, secrets[k], stop, runs, tally,
                                                           done, draws, k, stopped_at))
                   for k in range(analysts)]
        threads += [threading.Thread(target=_reader, args=(base, stop, runs, tally, k))
                    for k in range(readers)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        while time.monotonic() - started < seconds:
            time.sleep(0.25)
            rss.append(_rss(process))
        stopped_at.append(time.monotonic())
        stop.set()
        for thread in threads:
            thread.join(timeout=600)
        elapsed = stopped_at[0] - started
        rss.append(_rss(process))
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        if server.stderr is not None:
            server.stderr.close()
    reads = {route: values for route, values in tally.latency.items()
             if route.startswith("GET ")}
    ratios = [row["seconds"] / idle[row["scenario"]] for row in done
              if row["status"] == "complete" and row["scenario"] in idle]
    total = sum(len(v) for v in tally.latency.values())
    errors = sum(tally.errors.values())
    return {
        "readers": readers, "analysts": analysts, "draws": draws,
        "seconds": round(elapsed, 1), "requests": total,
        "requests_per_s": round(total / elapsed, 1), "errors": errors,
        "reads": _percentiles([x for v in reads.values() for x in v]),
        "routes": {route: {**_percentiles(v), "errors": tally.errors.get(route, 0)}
                   for route, v in sorted(tally.latency.items())},
        "idle_run_s": idle,
        "runs": done,
        "runs_complete": sum(row["status"] == "complete" for row in done),
        "runs_done_after_readers_stopped": sum(row["after_readers_stopped"] for row in done),
        "run_ratio_to_idle": {"max": round(max(ratios), 2) if ratios else None,
                              "median": round(float(np.median(ratios)), 2) if ratios else None},
        "rss_mib": {"start": round(rss[0] / 2**20, 1), "peak": round(max(rss) / 2**20, 1),
                    "end": round(rss[-1] / 2**20, 1)},
        "error_examples": tally.examples,
        "cpus": os.cpu_count(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readers", type=int, default=20)
    parser.add_argument("--analysts", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--draws", type=int, default=400, help="draws per started run")
    parser.add_argument("--out", type=Path, default=None, help="write the figures as JSON")
    args = parser.parse_args()
    figures = run_load(args.readers, args.analysts, args.seconds, args.draws)
    text = json.dumps(figures, indent=2)
    print(text)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
