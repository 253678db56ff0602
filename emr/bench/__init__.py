"""The benchmark behind `emr-admin bench`: how fast are the everyday operations on a practice
of a given size, and how close is each to the raw SQL it needs (its floor)?

Each area in BENCH_AREAS is a module with `operations(ctx: BenchContext) -> list[Operation]`.
The benchmark database lives in its own folder (never the practice's), encrypted with a fixed
key like a real one, and is built once per size with the demo generator and then reused.
"""

from __future__ import annotations

import importlib
import os
import random
import shutil
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from emr.config import Settings
from emr.db import Database, open_database
from emr.services.context import Actor

BENCH_AREAS: list[str] = [
    "emr.bench.patients",
    "emr.bench.codes",
    "emr.bench.scheduling",
    "emr.bench.chart",
    "emr.bench.prescribing",
    "emr.bench.hl7",
]

# Public and fixed: the benchmark data are synthetic; the key only makes the work realistic.
BENCH_KEY = "b3" * 32
READY_MARKER = "bench-ready"
WARMUP_RUNS = 5


@dataclass(frozen=True)
class Operation:
    """One timed operation. `run(i)` and `floor(i)` get the iteration number to vary input."""

    name: str
    run: Callable[[int], None]
    floor: Callable[[int], None] | None = None


@dataclass
class BenchContext:
    db: Database
    actor: Actor
    patients: int
    rng: random.Random
    appointments: int | None = None
    runs: int = 0  # timed runs per operation (an area may prepare inputs for each)


@dataclass(frozen=True)
class Timing:
    median_ms: float
    p95_ms: float
    floor_ms: float | None
    runs: int

    def as_dict(self) -> dict[str, float | int | None]:
        return {
            "median_ms": round(self.median_ms, 3),
            "p95_ms": round(self.p95_ms, 3),
            "floor_ms": None if self.floor_ms is None else round(self.floor_ms, 3),
            "runs": self.runs,
        }


def bench_root() -> Path:
    return Path(os.environ.get("EMR_BENCH_DIR") or Path.cwd() / "bench-data")


def bench_settings(folder: Path) -> Settings:
    folder = folder.resolve()
    return Settings(
        data_dir=folder, database_url=f"sqlite:///{folder / 'emr.db'}", db_key_hex=BENCH_KEY
    )


def bench_folder(patients: int, appointments: int | None = None, root: Path | None = None) -> Path:
    """Where the database of this size lives: one folder per number of patients and of
    appointments (none given: the demo's natural six months of appointments)."""
    name = f"{patients}-patients"
    if appointments is not None:
        name += f"-{appointments}-appointments"
    return (root or bench_root()) / name


def prepare_database(
    patients: int,
    *,
    appointments: int | None = None,
    root: Path | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> Database:
    """The benchmark database of this size: reused if complete, else built anew."""
    from emr import demo

    folder = bench_folder(patients, appointments, root)
    settings = bench_settings(folder)
    if (folder / READY_MARKER).exists():
        return open_database(settings, key_hex=BENCH_KEY)
    if folder.exists():  # an interrupted build: start again
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    db = open_database(settings, create=True, encrypted=True, key_hex=BENCH_KEY)
    counts = demo.generate(
        db, patients=patients, seed=1, progress=progress, appointments=appointments
    )
    made = ", ".join(f"{n} {kind}" for kind, n in counts.items())
    (folder / READY_MARKER).write_text(f"{made}\n", encoding="utf-8")
    return db


def _percentile(sorted_ms: list[float], q: float) -> float:
    index = min(len(sorted_ms) - 1, max(0, round(q * (len(sorted_ms) - 1))))
    return sorted_ms[index]


def time_calls(fn: Callable[[int], None], runs: int) -> list[float]:
    for i in range(WARMUP_RUNS):
        fn(runs + i)
    samples = []
    for i in range(runs):
        start = time.perf_counter()
        fn(i)
        samples.append((time.perf_counter() - start) * 1000)
    return sorted(samples)


def run_operations(operations: list[Operation], runs: int) -> dict[str, Timing]:
    results: dict[str, Timing] = {}
    for op in operations:
        samples = time_calls(op.run, runs)
        floor = None
        if op.floor is not None:
            floor = statistics.median(time_calls(op.floor, runs))
        results[op.name] = Timing(
            median_ms=statistics.median(samples),
            p95_ms=_percentile(samples, 0.95),
            floor_ms=floor,
            runs=runs,
        )
    return results


def collect_operations(ctx: BenchContext) -> list[Operation]:
    operations: list[Operation] = []
    for name in BENCH_AREAS:
        ctx.rng = random.Random(f"bench:{name}")
        operations += importlib.import_module(name).operations(ctx)
    return operations


def run_bench(
    patients: int,
    runs: int,
    *,
    appointments: int | None = None,
    root: Path | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> dict[str, Timing]:
    db = prepare_database(patients, appointments=appointments, root=root, progress=progress)
    try:
        ctx = BenchContext(
            db=db,
            actor=Actor.operator(db, "bench"),
            patients=patients,
            rng=random.Random(0),
            appointments=appointments,
            runs=runs,
        )
        return run_operations(collect_operations(ctx), runs)
    finally:
        db.dispose()
