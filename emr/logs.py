"""Logging to a rotating file in the data folder. No patient data beyond record ids."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

_configured = False


def configure_logging(log_dir: Path, *, verbose: bool = False) -> Path:
    global _configured
    log_dir.mkdir(parents=True, exist_ok=True)
    path = log_dir / "emr.log"
    if not _configured:
        handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=2_000_000, backupCount=5, encoding="utf-8"
        )
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(process)d %(name)s: %(message)s")
        )
        root = logging.getLogger()
        root.addHandler(handler)
        root.setLevel(logging.DEBUG if verbose else logging.INFO)
        _configured = True
    return path
