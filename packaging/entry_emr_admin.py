"""PyInstaller's entry script for `emr-admin`: the same as the `emr-admin` console script."""

import sys

from emr.cli import main

if __name__ == "__main__":
    sys.exit(main())
