"""A process that writes runs into a results store until it is killed (or has written N).

Usage: ``python tests/faults/_store_writer.py DB FIRST_SEED [N]``. Prints ``ready`` once the
data are loaded, then ``done <run_id>`` after each stored run. Used by the SIGKILL and disk
tests; a PaxsilicaError ends it with exit 2 and ``error <type>: <message>``, anything else
with a traceback (exit 1), which the tests count as a failure.
"""

from __future__ import annotations

import sys

from paxsilica import workflows
from paxsilica.errors import PaxsilicaError

SCENARIOS = ("ree-export-controls", "ga-ge-ban", "baseline")
DRAWS = 24


def main() -> int:
    db, first = sys.argv[1], int(sys.argv[2])
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 10**9
    ds = workflows.load()
    print("ready", flush=True)
    for seed in range(first, first + count):
        try:
            outcome = workflows.simulate_scenario(SCENARIOS[seed % len(SCENARIOS)], runs=DRAWS,
                                                  seed=seed, db=db, ds=ds)
        except PaxsilicaError as exc:
            print(f"error {type(exc).__name__}: {exc}", flush=True)
            return 2
        print(f"done {outcome.run_id}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
