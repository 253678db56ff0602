"""A date typed on the keyboard (quicker than a spin box): MM/DD/YYYY and the other forms
emr.normalize reads, "t" for today and, for expiry dates, MM/YYYY as the month's last day."""

from __future__ import annotations

import re
from calendar import monthrange
from datetime import date

from PySide6.QtWidgets import QLineEdit

from emr.errors import ValidationError
from emr.normalize import parse_date

_MONTH_YEAR = re.compile(r"^(\d{1,2})[/.-](\d{4})$")


def parse_typed_date(text: str, *, month_end: bool = False) -> date | None:
    """The date typed; None when empty; ValueError with a readable message otherwise. With
    `month_end`, MM/YYYY is the month's last day (how vaccine vials print their expiry)."""
    text = text.strip()
    if not text:
        return None
    if text.lower() in ("t", "today"):
        return date.today()
    if month_end and (m := _MONTH_YEAR.match(text)):
        year, month = int(m[2]), int(m[1])
        if 1 <= month <= 12:
            return date(year, month, monthrange(year, month)[1])
    return parse_date(text)


class DateField(QLineEdit):
    """An optional date typed as MM/DD/YYYY (or "t" for today); empty is no date. `field`
    names it in the ValidationError of value()."""

    def __init__(
        self,
        value: date | None = None,
        *,
        field: str = "",
        month_end: bool = False,
        parent=None,
    ) -> None:
        super().__init__(parent)
        self.field = field
        self.month_end = month_end
        self.setPlaceholderText("MM/YYYY or MM/DD/YYYY" if month_end else "MM/DD/YYYY")
        self.setMaxLength(10)
        self.set_date(value)

    def set_date(self, value: date | None) -> None:
        self.setText(f"{value:%m/%d/%Y}" if value else "")

    def date_value(self) -> date | None:
        """The date typed, None when empty; ValueError with a readable message otherwise."""
        return parse_typed_date(self.text(), month_end=self.month_end)

    def value(self) -> date | None:
        """The date typed, None when empty; ValidationError naming `field` otherwise."""
        try:
            return self.date_value()
        except ValueError:
            example = "12/2030 or 12/31/2030" if self.month_end else "03/14/2024"
            raise ValidationError(
                {self.field: f"{self.text().strip()!r} is not a date: write it as {example}."}
            ) from None


def read_dates(fields: dict[str, DateField], problems: dict[str, str]) -> dict[str, date | None]:
    """Each field's date; a field that is not a date gets its message in `problems`."""
    values: dict[str, date | None] = {}
    for name, field in fields.items():
        try:
            values[name] = field.date_value()
        except ValueError as exc:
            problems[name] = str(exc)
            values[name] = None
    return values
