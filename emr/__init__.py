"""Core of the small-practice EMR. Never imports Qt (see shared/DESIGN.md, rule 1)."""

__version__ = "0.1.0"
