"""Use cases. The only way the UI and the CLI read or write data (shared/DESIGN.md, rule 3)."""
