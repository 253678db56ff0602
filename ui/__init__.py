"""The PySide6 desktop app. It calls emr.services only (shared/DESIGN.md, rule 2)."""
