"""Turning what people type into comparable keys: names, phone numbers, dates of birth.

Names are folded so that case and accents never matter ("Müller" = "muller", "Nguyễn" =
"nguyen") and split into tokens at spaces, apostrophes and hyphens ("O'Brien" -> "o", "brien").
Each name part also yields its compact form ("obrien"), so a search typed without the
apostrophe finds the name too.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

# Letters that Unicode decomposition does not reduce to ASCII.
_SPECIAL_FOLDS = str.maketrans(
    {
        "ß": "ss",
        "ẞ": "ss",
        "æ": "ae",
        "Æ": "ae",
        "œ": "oe",
        "Œ": "oe",
        "ø": "o",
        "Ø": "o",
        "đ": "d",
        "Đ": "d",
        "ð": "d",
        "Ð": "d",
        "ł": "l",
        "Ł": "l",
        "þ": "th",
        "Þ": "th",
        "ı": "i",
        "ħ": "h",
        "Ħ": "h",
        "ŧ": "t",
        "Ŧ": "t",
        "ŋ": "n",
        "Ŋ": "n",
    }
)


def _fold_once(text: str) -> str:
    # Case first: some combining marks fold to letters (U+0345 -> iota) and must not vanish
    # in one case and survive in another.
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return stripped.casefold().translate(_SPECIAL_FOLDS)


def fold(text: str) -> str:
    """Lower case without accents: 'Nguyễn' -> 'nguyen', 'Strauß' -> 'strauss'.

    Folding is repeated until nothing changes, so that fold(fold(x)) == fold(x) holds even for
    the rare characters whose case folding yields new combining marks.
    """
    for _ in range(5):
        folded = _fold_once(text)
        if folded == text:
            break
        text = folded
    return text


def name_tokens(text: str) -> list[str]:
    """The folded words of a name, split at anything that is not a letter or digit."""
    tokens: list[str] = []
    word: list[str] = []
    for c in fold(text):
        if c.isalnum():
            word.append(c)
        elif word:
            tokens.append("".join(word))
            word = []
    if word:
        tokens.append("".join(word))
    return tokens


def normalize_name(text: str) -> str:
    """One comparable string for a name: its tokens joined by single spaces."""
    return " ".join(name_tokens(text))


def name_search_keys(*parts: str) -> set[str]:
    """Every key a patient is found by: each token of each name part, plus each part's compact
    form when it has several tokens ("O'Brien" -> {"o", "brien", "obrien"})."""
    keys: set[str] = set()
    for part in parts:
        tokens = name_tokens(part)
        keys.update(tokens)
        if len(tokens) > 1:
            keys.add("".join(tokens))
    return keys


# --- phone numbers -------------------------------------------------------------------------

_PHONE_CHARS = re.compile(r"^\+?[0-9()\-. ]+$")
PHONE_MIN_DIGITS = 7
PHONE_MAX_DIGITS = 15


def phone_digits(text: str) -> str:
    """Only the digits of a phone number ('(555) 010-2345' -> '5550102345')."""
    return "".join(c for c in unicodedata.normalize("NFKC", text) if c in "0123456789")


def phone_problem(text: str) -> str | None:
    """Why a phone number is not acceptable, or None if it is (empty is acceptable)."""
    text = text.strip()
    if not text:
        return None
    if not _PHONE_CHARS.match(text):
        return "use digits, with + ( ) - . or spaces only"
    n = len(phone_digits(text))
    if n < PHONE_MIN_DIGITS or n > PHONE_MAX_DIGITS:
        return f"a phone number has {PHONE_MIN_DIGITS} to {PHONE_MAX_DIGITS} digits"
    return None


# --- dates of birth ------------------------------------------------------------------------

_ISO = re.compile(r"^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})$")
_US = re.compile(r"^([0-9]{1,2})/([0-9]{1,2})/([0-9]{4}|[0-9]{2})$")
_DOTTED = re.compile(r"^([0-9]{1,2})\.([0-9]{1,2})\.([0-9]{4}|[0-9]{2})$")
_COMPACT = re.compile(r"^([0-9]{4})([0-9]{2})([0-9]{2})$")

DATE_FORMATS_HELP = "YYYY-MM-DD, MM/DD/YYYY, D.M.YYYY or YYYYMMDD"


def _full_year(text: str, month: int, day: int, today: date) -> int:
    """A four-digit year as written; a two-digit one is the most recent such year not in the
    future (on 2026-11-25, '84' is 1984 and '25' is 2025)."""
    year = int(text)
    if len(text) == 4:
        return year
    candidate = today.year // 100 * 100 + year
    if (candidate, month, day) > (today.year, today.month, today.day):
        candidate -= 100
    return candidate


def parse_date(text: str, *, today: date | None = None) -> date:
    """Parse a date typed in one of the usual forms; ValueError with a readable message if not.

    1984-03-07 (ISO), 03/07/1984 (US: month/day), 7.3.1984 (day.month), 19840307; a two-digit
    year (3/7/84) is taken as the most recent such year that is not in the future.
    """
    text = text.strip()
    today = today or date.today()
    if (m := _ISO.match(text)) or (m := _COMPACT.match(text)):
        y, mo, d = int(m[1]), int(m[2]), int(m[3])
    elif m := _US.match(text):
        mo, d = int(m[1]), int(m[2])
        y = _full_year(m[3], mo, d, today)
    elif m := _DOTTED.match(text):
        d, mo = int(m[1]), int(m[2])
        y = _full_year(m[3], mo, d, today)
    else:
        raise ValueError(f"'{text}' is not a date; use {DATE_FORMATS_HELP}")
    try:
        return date(y, mo, d)
    except ValueError:
        raise ValueError(f"'{text}' is not a real date") from None


def try_parse_date(text: str, *, today: date | None = None) -> date | None:
    try:
        return parse_date(text, today=today)
    except ValueError:
        return None
