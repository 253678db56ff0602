"""`emr-admin demo`: fill the database with synthetic patients and their schedule (an operator
command)."""

from __future__ import annotations

import argparse
import sys
import time

from emr.cli.common import open_db, print_json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "demo",
        help="add synthetic demonstration data (never on a practice's real database)",
    )
    p.add_argument("--patients", type=_count, default=200, help="how many patients (default 200)")
    p.add_argument(
        "--appointments",
        type=_count,
        default=None,
        help="about how many appointments (default: six months around today)",
    )
    p.add_argument("--seed", type=int, default=1, help="the same seed gives the same data")
    p.add_argument("--json", action="store_true", help="print what was made as JSON")
    p.set_defaults(func=cmd_demo)


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError("cannot be negative")
    return value


def cmd_demo(args: argparse.Namespace) -> int:
    from emr.demo import generate

    db = open_db()
    started = time.perf_counter()
    try:
        counts = generate(
            db,
            patients=args.patients,
            seed=args.seed,
            appointments=args.appointments,
            progress=None if args.json else _progress,
        )
    finally:
        db.dispose()
    seconds = time.perf_counter() - started
    if args.json:
        print_json({"counts": counts, "seconds": round(seconds, 2)})
    else:
        for kind, n in counts.items():
            print(f"{kind:<20} {n:>10}")
        print(f"done in {seconds:.1f} s")
    return 0


def _progress(area: str, done: int, total: int) -> None:
    print(f"\r{area}: {done}/{total}", end="", file=sys.stderr, flush=True)
    if done == total:
        print(file=sys.stderr)
