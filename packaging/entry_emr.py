"""PyInstaller's entry script for `emr` (the desktop app): the same as the `emr` console script."""

import os
import sys

# A windowed Windows executable has no console: print() and argparse's --version would write to
# None. Send that output nowhere instead of failing.
if sys.stdout is None:
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the process
if sys.stderr is None:
    sys.stderr = open(os.devnull, "w")  # noqa: SIM115

from ui.app import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
