"""Developer tool: write a new revision from the difference between the models and a database
migrated to head. `python -m emr.migrations.revise "message" REVISION_ID`."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from alembic import command

from emr.config import load_settings
from emr.db import _alembic_config, open_database


def main() -> None:
    message, rev_id = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings({"EMR_HOME": tmp})
        db = open_database(settings, create=True, encrypted=False)
        with db.engine.begin() as conn:
            command.revision(
                _alembic_config(conn), message=message, autogenerate=True, rev_id=rev_id
            )
        db.dispose()
    print("written under", Path(__file__).parent / "versions")


if __name__ == "__main__":
    main()
