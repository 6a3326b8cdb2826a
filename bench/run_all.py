"""Run every benchmark script in bench/ (bench_*.py), one after another; `make bench` calls this.

Each script seeds what it needs, measures on PostgreSQL and writes bench/results/<name>.json.
Extra arguments are passed to every script. Exits non-zero if any script failed, after
running the rest.

    DATABASE_URL=postgres://... .venv/bin/python bench/run_all.py
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent


def main() -> int:
    scripts = sorted(BENCH.glob("bench_*.py"))
    if not scripts:
        print("no bench/bench_*.py scripts found")
        return 1
    failed = []
    for script in scripts:
        print(f"\n== {script.name}", flush=True)
        started = time.perf_counter()
        code = subprocess.call([sys.executable, str(script), *sys.argv[1:]], cwd=BENCH.parent)
        print(f"== {script.name}: {'ok' if code == 0 else f'failed ({code})'} in {time.perf_counter() - started:.0f}s",
              flush=True)
        if code:
            failed.append(script.name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
