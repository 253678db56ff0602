"""Code tables the chart uses (ICD-10-CM, CVX, LOINC) and unit conversions.

Pure modules: no database, no Qt. Each table's source and licence is named in
resources/codes/README.md. Shared here: where the data files live and how text is folded
for search (case- and accent-insensitive words).
"""

from __future__ import annotations

import re
import sys
import unicodedata
from pathlib import Path

_WORD = re.compile(r"[a-z0-9]+")


def resources_dir() -> Path:
    """The folder of the shipped code tables (inside the bundle when frozen by PyInstaller)."""
    frozen_base = getattr(sys, "_MEIPASS", None)
    base = Path(frozen_base) if frozen_base else Path(__file__).resolve().parents[2]
    return base / "resources" / "codes"


def fold(text: str) -> str:
    """Lower case without accents: "Ménière" -> "meniere"."""
    text = text.casefold()
    if text.isascii():
        return text
    # Decomposing splits "é" into "e" + a combining accent; the ASCII encoding then drops the
    # accents (and the rare letters with no ASCII form), in C, fast enough for the whole table.
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def words(text: str) -> list[str]:
    """The searchable words of a text, folded, in order ("Type 2 diabetes" -> type, 2, diabetes)."""
    return _WORD.findall(fold(text))
