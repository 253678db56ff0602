import sys

from emr.cli import main

sys.exit(main())
