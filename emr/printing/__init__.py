"""Printed documents (reportlab PDFs) on the practice's letterhead: the day sheet, and later
prescriptions, referral letters and visit summaries. No Qt here; the UI prints the PDF bytes."""

from __future__ import annotations

import os
from contextlib import suppress
from pathlib import Path

from emr.errors import UserError


def write_atomically(out: Path, data: bytes) -> None:
    """Write `data` to `out` through a temporary file beside it, so a reader never sees half a
    file and a failed write leaves any earlier file as it was."""
    out = Path(out)
    temporary = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        with open(temporary, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, out)
    except OSError as exc:
        with suppress(OSError):
            temporary.unlink(missing_ok=True)
        raise UserError(f"Cannot write {out}: {exc.strerror or exc}.") from None
