"""`emr`: the desktop app's entry point.

Arguments are parsed before Qt or the database layer is imported, so `emr --version` is instant.
"""

from __future__ import annotations

import argparse
import sys


def _parser() -> argparse.ArgumentParser:
    from emr import __version__

    parser = argparse.ArgumentParser(prog="emr", description="The small-practice EMR.")
    parser.add_argument("--version", action="version", version=f"emr {__version__}")
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="log in as $EMR_USER/$EMR_PASSWORD, open every workspace the role allows with "
        "real data once, and exit 0 (or non-zero with the reason)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from ui.application import run

    return run(smoke=args.smoke)


if __name__ == "__main__":
    sys.exit(main())
