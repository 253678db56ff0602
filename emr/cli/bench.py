"""`emr-admin bench`: time the everyday operations on a practice of a given size."""

from __future__ import annotations

import argparse
import sys

from emr.cli.common import print_json
from emr.cli.demo import _count


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "bench",
        help="benchmark the everyday operations (in its own database under ./bench-data)",
        description="Builds (once) or reuses a synthetic database of the given size in "
        "./bench-data/<N>-patients[-<M>-appointments]/ (or under $EMR_BENCH_DIR), never the "
        "practice's database, and prints the median and 95th percentile latency of each "
        "operation beside its raw-SQL floor.",
    )
    p.add_argument("--patients", type=_count, default=100_000, help="default 100000")
    p.add_argument(
        "--appointments",
        type=_count,
        default=None,
        help="about how many appointments (default: six months around today)",
    )
    p.add_argument("--runs", type=_positive, default=200, help="timed runs per operation")
    p.add_argument("--json", action="store_true", help="one JSON object: operation -> timings")
    p.set_defaults(func=cmd_bench)


def _positive(text: str) -> int:
    value = _count(text)
    if value == 0:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def cmd_bench(args: argparse.Namespace) -> int:
    from emr.bench import bench_folder, run_bench

    if not args.json:
        print(
            f"benchmark database: {bench_folder(args.patients, args.appointments)}",
            file=sys.stderr,
        )
    results = run_bench(
        args.patients,
        args.runs,
        appointments=args.appointments,
        progress=None if args.json else _progress,
    )
    if args.json:
        print_json({name: timing.as_dict() for name, timing in results.items()})
        return 0
    size = f"{args.patients} patients"
    if args.appointments is not None:
        size += f", {args.appointments} appointments"
    print(f"{size}, {args.runs} runs per operation (milliseconds)")
    print(f"{'operation':<40} {'median':>8} {'p95':>8} {'floor':>8} {'x floor':>8}")
    for name, t in results.items():
        floor = "" if t.floor_ms is None else f"{t.floor_ms:8.2f}"
        ratio = "" if not t.floor_ms else f"{t.median_ms / t.floor_ms:7.1f}x"
        print(f"{name:<40} {t.median_ms:8.2f} {t.p95_ms:8.2f} {floor:>8} {ratio:>8}")
    return 0


def _progress(area: str, done: int, total: int) -> None:
    print(f"\rbuilding the benchmark database: {area} {done}/{total}", end="", file=sys.stderr)
    if done == total:
        print(file=sys.stderr)
