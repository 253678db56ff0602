"""The Admin workspace (administrators only): practice settings, schedule setup, users and the
audit trail."""
