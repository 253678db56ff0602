"""The ER7 encoder: escaping, fields, components, repetitions, segments, timestamps, control
ids; and a small reader for what we receive back (ACKs) and for checking what we send.

A field value is given as Python data:
- `None` or "" -> empty;
- a `str` -> one escaped value (`Text` for the long text types TX/FT);
- a `tuple` -> components, each a value or a tuple of subcomponents;
- a `Repeat` -> repetitions, each a value or a tuple of components.
"""

from __future__ import annotations

import itertools
import os
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Union

FIELD = "|"
COMPONENT = "^"
REPETITION = "~"
ESCAPE = "\\"
SUBCOMPONENT = "&"
ENCODING_CHARACTERS = COMPONENT + REPETITION + ESCAPE + SUBCOMPONENT
SEGMENT_END = "\r"
VERSION = "2.5.1"
CHARACTER_SET = "UNICODE UTF-8"  # HL7 table 0211

# The base limits of the 2.5.1 data types, counted on the escaped text (as parsers count them).
ST_MAX = 199  # ST, and most components
IS_MAX = 20  # IS (user-defined coded values), e.g. HD.1 namespace ids
TEXT_MAX = 65536  # TX, FT

_DELIMITER_ESCAPES = {
    FIELD: "\\F\\",
    COMPONENT: "\\S\\",
    REPETITION: "\\R\\",
    ESCAPE: "\\E\\",
    SUBCOMPONENT: "\\T\\",
}
# Control characters (CR would end the segment) go as hexadecimal escapes, \X0D\.
_ESCAPES = {ord(c): seq for c, seq in _DELIMITER_ESCAPES.items()} | {
    code: f"\\X{code:02X}\\" for code in (*range(0x20), 0x7F)
}
_UNESCAPES = {"F": FIELD, "S": COMPONENT, "R": REPETITION, "E": ESCAPE, "T": SUBCOMPONENT}


class Text(str):
    """A value of a long text type (TX, FT): up to 65,536 characters instead of 199."""

    __slots__ = ()


@dataclass(frozen=True)
class Repeat:
    """A repeating field: each item is one repetition."""

    items: tuple = field(default_factory=tuple)

    def __init__(self, *items: object) -> None:
        object.__setattr__(self, "items", items)


Value = Union[str, None, tuple, Repeat]  # noqa: UP007 (a runtime alias)


def escape(value: str, limit: int | None = None) -> str:
    """The value with HL7's escape sequences; cut to `limit` escaped characters, never inside
    an escape sequence."""
    escaped = value.translate(_ESCAPES)
    if limit is not None and len(escaped) > limit:
        escaped = escaped[:limit]
        if escaped.count(ESCAPE) % 2:  # the cut fell inside a sequence: drop its start
            escaped = escaped[: escaped.rindex(ESCAPE)]
    return escaped


def fits(value: str, limit: int = ST_MAX) -> bool:
    """Whether the value goes out whole under this limit."""
    return len(value.translate(_ESCAPES)) <= limit


def unescape(text: str) -> str:
    """The value an escaped ER7 text stands for (delimiters and hexadecimal escapes; other
    sequences, such as formatting in FT, are kept as they came)."""
    if ESCAPE not in text:
        return text
    out: list[str] = []
    i = 0
    while i < len(text):
        c = text[i]
        end = text.find(ESCAPE, i + 1) if c == ESCAPE else -1
        if end == -1:
            out.append(c)
            i += 1
            continue
        sequence = text[i + 1 : end]
        if sequence in _UNESCAPES:
            out.append(_UNESCAPES[sequence])
        elif sequence[:1] == "X" and len(sequence) > 1 and len(sequence) % 2:
            try:
                out.append(bytes.fromhex(sequence[1:]).decode("latin-1"))
            except ValueError:
                out.append(text[i : end + 1])
        else:
            out.append(text[i : end + 1])
        i = end + 1
    return "".join(out)


def _leaf(value: str | None) -> str:
    if not value:
        return ""
    return escape(value, TEXT_MAX if isinstance(value, Text) else ST_MAX)


def _components(value: tuple) -> str:
    parts = [
        SUBCOMPONENT.join(_leaf(s) for s in c).rstrip(SUBCOMPONENT)
        if isinstance(c, tuple)
        else _leaf(c)
        for c in value
    ]
    return COMPONENT.join(parts).rstrip(COMPONENT)


def encode_field(value: Value) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        return _leaf(value)
    if isinstance(value, tuple):
        return _components(value)
    if isinstance(value, Repeat):
        return REPETITION.join(
            _components(v) if isinstance(v, tuple) else _leaf(v) for v in value.items
        ).rstrip(REPETITION)
    raise TypeError(f"not an HL7 field value: {type(value).__name__}")


def segment(name: str, *fields: Value) -> str:
    """One segment: its name and fields 1…n (trailing empty fields left out)."""
    return FIELD.join([name, *map(encode_field, fields)]).rstrip(FIELD)


def message(segments: list[str]) -> str:
    return SEGMENT_END.join(segments) + SEGMENT_END


def coded(code: str, text: str = "", system: str = "") -> tuple | None:
    """A CE/CWE: identifier, text, coding system (None when there is nothing to say)."""
    if not code and not text:
        return None
    return (code, text, system if code else "")


def namespace(value: str) -> str:
    """An IS namespace id (HD.1): at most 20 characters."""
    return value[:IS_MAX]


# --- times and numbers ---------------------------------------------------------------------


def timestamp(moment: datetime) -> str:
    """DTM to the second with the practice's UTC offset: 20261126083000-0500. A naive datetime
    is taken as local wall-clock time."""
    local = moment.astimezone()
    return local.strftime("%Y%m%d%H%M%S%z")


def day(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone()
    return value.strftime("%Y%m%d")


def number(value: float | int | Decimal | None) -> str:
    """NM without exponent or float noise: 120.0 -> "120", 0.1 -> "0.1"."""
    if value is None:
        return ""
    text = format(Decimal(repr(value)) if isinstance(value, float) else Decimal(value), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def parse_timestamp(text: str) -> datetime:
    """A DTM with seconds and offset, as `timestamp` writes it."""
    return datetime.strptime(text, "%Y%m%d%H%M%S%z")


# --- control ids ---------------------------------------------------------------------------

_counter = itertools.count(1)
_PROCESS_TAG = f"{os.getpid() % 100:02d}"


def new_control_id() -> str:
    """A unique MSH-10 of 20 characters: 80 random bits as hexadecimal."""
    return uuid.uuid4().hex[:20]


def sequential_control_id() -> str:
    """A readable alternative: seconds since 1970, process and a counter (at most 20)."""
    return f"{int(time.time())}{_PROCESS_TAG}{next(_counter) % 10**8:08d}"[:20]


# --- reading -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Segment:
    name: str
    fields: tuple[str, ...]  # raw (escaped) fields; fields[0] is the name, as HL7 counts

    def raw(self, number: int) -> str:
        return self.fields[number] if number < len(self.fields) else ""

    def value(self, number: int, component: int = 1, subcomponent: int = 1, repetition: int = 1):
        """One value, unescaped (all counted from 1, as HL7 does)."""
        reps = self.raw(number).split(REPETITION) if number else [self.name]
        if repetition > len(reps):
            return ""
        comps = reps[repetition - 1].split(COMPONENT)
        if component > len(comps):
            return ""
        subs = comps[component - 1].split(SUBCOMPONENT)
        return unescape(subs[subcomponent - 1]) if subcomponent <= len(subs) else ""

    def repetitions(self, number: int) -> int:
        raw = self.raw(number)
        return len(raw.split(REPETITION)) if raw else 0


@dataclass(frozen=True)
class ParsedMessage:
    segments: tuple[Segment, ...]

    def all(self, name: str) -> list[Segment]:
        return [s for s in self.segments if s.name == name]

    def first(self, name: str) -> Segment | None:
        return next((s for s in self.segments if s.name == name), None)

    @property
    def control_id(self) -> str:
        msh = self.first("MSH")
        return msh.value(10) if msh else ""

    @property
    def message_type(self) -> str:
        msh = self.first("MSH")
        return f"{msh.value(9, 1)}^{msh.value(9, 2)}" if msh else ""


class ParseError(ValueError):
    pass


def parse(er7: str) -> ParsedMessage:
    """Split an ER7 message (our delimiters: MSH|^~\\&) into segments and raw fields."""
    text = er7.replace("\r\n", "\r").replace("\n", "\r").strip("\r\x0b\x1c")
    if not text.startswith("MSH"):
        raise ParseError("An HL7 message starts with MSH.")
    if text[3:8] != FIELD + ENCODING_CHARACTERS:
        raise ParseError(f"Unsupported delimiters {text[3:8]!r}; expected |^~\\&.")
    segments = []
    for line in text.split(SEGMENT_END):
        if not line:
            continue
        parts = line.split(FIELD)
        if parts[0] == "MSH":  # MSH-1 is the field separator itself
            parts = ["MSH", FIELD, *parts[1:]]
        segments.append(Segment(parts[0], tuple(parts)))
    return ParsedMessage(tuple(segments))
