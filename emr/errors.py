"""Errors a user can cause. Their message is fit to show as it is, in the UI and the CLI."""

from __future__ import annotations


class UserError(Exception):
    """Base of every error caused by user input or state, never by a bug."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ValidationError(UserError):
    """Input that breaks a rule. `field_errors` maps a field name to the message for that field."""

    def __init__(self, field_errors: dict[str, str] | str) -> None:
        if isinstance(field_errors, str):
            field_errors = {"": field_errors}
        self.field_errors = dict(field_errors)
        summary = "; ".join(
            f"{field.replace('_', ' ')}: {msg}" if field else msg
            for field, msg in self.field_errors.items()
        )
        super().__init__(summary)


class NotFound(UserError):
    pass


class PermissionDenied(UserError):
    pass


class AuthenticationFailed(UserError):
    pass


class AccountLocked(AuthenticationFailed):
    pass


class ConflictError(UserError):
    """Someone else changed the record since it was read; nothing was saved."""


class PossibleDuplicate(UserError):
    """A record that looks the same exists; the caller may confirm and go on."""

    def __init__(self, message: str, matches: list) -> None:
        super().__init__(message)
        self.matches = matches


class DatabaseUnavailable(UserError):
    """The database cannot be opened: wrong key, missing key, busy, or damaged."""


class ConfigurationError(UserError):
    pass


class BookingNeedsOverride(UserError):
    """The booking double-books or falls outside working hours: it is kept only with a reason."""

    def __init__(self, warnings: list[str]) -> None:
        super().__init__(
            " ".join(warnings) + " Give a reason to book it anyway, or choose another time."
        )
        self.warnings = warnings
