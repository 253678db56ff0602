"""Medical record numbers: six digits and a Luhn check digit ("4821937").

Random rather than sequential, so that an MRN says nothing about when a patient came; the check
digit catches a mistyped digit or two swapped neighbours before a lookup finds the wrong person.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable

MRN_BODY_DIGITS = 6
MRN_LENGTH = MRN_BODY_DIGITS + 1


def check_digit(body: str) -> str:
    """The Luhn check digit for a string of digits."""
    total = 0
    for i, c in enumerate(reversed(body)):
        d = int(c)
        if i % 2 == 0:  # doubled: the rightmost digit of the body and every second one
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def clean_mrn(text: str) -> str:
    """An MRN as typed, without the spaces and hyphens people put in it."""
    return "".join(c for c in text.strip() if c not in " -")


def mrn_problem(text: str) -> str | None:
    """Why this is not a valid MRN, or None if it is."""
    mrn = clean_mrn(text)
    if len(mrn) != MRN_LENGTH or not mrn.isascii() or not mrn.isdigit():
        return f"an MRN has {MRN_LENGTH} digits"
    if check_digit(mrn[:-1]) != mrn[-1]:
        return "the check digit does not match; a digit is probably mistyped"
    return None


def is_valid_mrn(text: str) -> bool:
    return mrn_problem(text) is None


def random_mrn(rng: random.Random | None = None) -> str:
    """A random MRN; the body never starts with 0, so it reads the same in spreadsheets."""
    if rng is None:
        body = str(secrets.randbelow(9 * 10 ** (MRN_BODY_DIGITS - 1)) + 10 ** (MRN_BODY_DIGITS - 1))
    else:
        body = str(rng.randrange(10 ** (MRN_BODY_DIGITS - 1), 10**MRN_BODY_DIGITS))
    return body + check_digit(body)


def new_unique_mrn(
    taken: Callable[[str], bool], rng: random.Random | None = None, *, attempts: int = 200
) -> str:
    """A random MRN for which `taken(mrn)` is false."""
    for _ in range(attempts):
        mrn = random_mrn(rng)
        if not taken(mrn):
            return mrn
    raise RuntimeError("No free MRN found; the MRN space is nearly full.")
