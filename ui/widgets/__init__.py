"""Reusable widgets shared by the workspaces (the patient banner …)."""
