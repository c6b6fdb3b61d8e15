"""Bounded load test of ``paxsilica serve`` on 127.0.0.1.

Starts the service (uvicorn, its own process, a fresh store), then N client threads read
``/api/risk``, ``/api/runs``, ``/api/runs/{id}`` and ``/api/runs/{id}/fans`` for T seconds
while one more client starts a run every few seconds with an analyst token. Reports the
request count, error rate (5xx, timeouts and refused connections; 4xx would also count, as
no request here should get one), P50/P99 latency per route and overall, and the server's
resident memory at start, peak and end.

Usage::

    python benchmarks/load_service.py --clients 50 --seconds 60 --out benchmarks/results/load.json

CI runs 10 clients for 5 s (tests/security/test_load_short.py).
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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_server(db: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PAXSILICA_DB": str(db), "PAXSILICA_OPEN_READ": "1",
           "PAXSILICA_MAX_DRAWS": "5000"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "paxsilica.api.app:app_from_env", "--factory",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
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
            if pick < 0.4 or run_id is None:
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


def _starter(base: str, token: str, stop: threading.Event, runs: list[str], tally: Tally,
             every: float, draws: int) -> None:
    scenarios = ["ree-export-controls", "ga-ge-ban", "taiwan-strait", "hormuz-closure"]
    with httpx.Client(base_url=base, timeout=60,
                      headers={"Authorization": f"Bearer {token}"}) as client:
        k = 0
        while not stop.is_set():
            answer = _call(client, tally, "POST /api/runs", "POST", "/api/runs",
                           json={"scenario": scenarios[k % len(scenarios)], "draws": draws,
                                 "seed": k})
            if answer is not None and answer.status_code == 202:
                runs.append(answer.json()["run_id"])
            k += 1
            stop.wait(every)


def _percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {"n": 0}
    ms = np.asarray(values) * 1000
    return {"n": len(values), "p50_ms": round(float(np.percentile(ms, 50)), 1),
            "p99_ms": round(float(np.percentile(ms, 99)), 1),
            "max_ms": round(float(ms.max()), 1)}


def run_load(clients: int = 10, seconds: float = 5.0, start_every: float = 2.0,
             draws: int = 200, folder: Path | None = None) -> dict[str, Any]:
    """Run the load test; return its figures (see the module docstring)."""
    folder = Path(folder or tempfile.mkdtemp(prefix="paxsilica-load-"))
    db = folder / "runs.duckdb"
    with TokenStore.open(db) as tokens:
        analyst, _ = tokens.create("analyst", "load test")
    port = _free_port()
    server = _start_server(db, port)
    process = psutil.Process(server.pid)
    base = f"http://127.0.0.1:{port}"
    tally, runs, stop = Tally(), [], threading.Event()
    rss = [process.memory_info().rss]
    try:
        threads = [threading.Thread(target=_starter, args=(base, analyst, stop, runs, tally,
                                                           start_every, draws))]
        threads += [threading.Thread(target=_reader, args=(base, stop, runs, tally, k))
                    for k in range(clients)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        while time.monotonic() - started < seconds:
            time.sleep(0.25)
            rss.append(process.memory_info().rss)
        stop.set()
        for thread in threads:
            thread.join(timeout=120)
        elapsed = time.monotonic() - started
        with httpx.Client(base_url=base, timeout=60) as client:
            statuses = [client.get(f"/api/runs/{r}").json().get("status") for r in runs]
        rss.append(process.memory_info().rss)
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        if server.stderr is not None:
            server.stderr.close()
    total = sum(len(v) for v in tally.latency.values())
    errors = sum(tally.errors.values())
    return {
        "clients": clients, "seconds": round(elapsed, 1), "requests": total,
        "requests_per_s": round(total / elapsed, 1), "errors": errors,
        "error_rate": round(errors / total, 5) if total else None,
        "overall": _percentiles([x for v in tally.latency.values() for x in v]),
        "routes": {route: {**_percentiles(v), "errors": tally.errors.get(route, 0)}
                   for route, v in sorted(tally.latency.items())},
        "runs_started": len(runs),
        "run_statuses": {s: statuses.count(s) for s in set(statuses)},
        "rss_mib": {"start": round(rss[0] / 2**20, 1), "peak": round(max(rss) / 2**20, 1),
                    "end": round(rss[-1] / 2**20, 1)},
        "error_examples": tally.examples,
        "cpus": os.cpu_count(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--start-every", type=float, default=2.0,
                        help="seconds between run starts")
    parser.add_argument("--draws", type=int, default=200, help="draws per started run")
    parser.add_argument("--out", type=Path, default=None, help="write the figures as JSON")
    args = parser.parse_args()
    figures = run_load(args.clients, args.seconds, args.start_every, args.draws)
    text = json.dumps(figures, indent=2)
    print(text)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
