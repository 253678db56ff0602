"""Helpers of the HL7 tests: build a message in a session, parse it back with two independent
libraries (hl7apy with strict 2.5.1 validation, python-hl7) and read values field by field."""

from __future__ import annotations

from datetime import UTC, datetime

import hl7
from hl7apy.consts import VALIDATION_LEVEL
from hl7apy.parser import parse_message

from emr.db import Database
from emr.interop.hl7.build import BuiltMessage, build_message

NOW = datetime(2026, 11, 26, 13, 30, tzinfo=UTC)
SENDER = {"sending_application": "SMALLPRACTICE-EMR", "sending_facility": "1234567893"}


def build(db: Database, message_type: str, entity: str, entity_id: int, **kw) -> BuiltMessage:
    with db.read() as s:
        return build_message(s, message_type, entity, entity_id, **(SENDER | {"now": NOW} | kw))


def strict(er7: str):
    """hl7apy's reading with strict 2.5.1 validation of structure, cardinality and lengths."""
    message = parse_message(er7, validation_level=VALIDATION_LEVEL.STRICT, find_groups=True)
    assert message.validate() is True
    return message


def py(er7: str) -> hl7.Message:
    return hl7.parse(er7)


def value(message: hl7.Message, path: str) -> str:
    """python-hl7's value at a path like "PID.F5.R1.C1", unescaped by python-hl7."""
    return message.unescape(str(message[path]))


def segments(message: hl7.Message, name: str) -> list:
    return [s for s in message if str(s[0]) == name]


def field(message: hl7.Message, seg, number: int, rep: int = 1, comp: int = 1, sub: int = 1):
    """One value of a segment (all counted from 1), unescaped by python-hl7."""
    try:
        raw = seg[number]
        if isinstance(raw, hl7.Field) or isinstance(raw, hl7.Repetition):
            pass
        text = seg.extract_field(repeat=rep, field_num=number, component=comp, subcomponent=sub)
    except (IndexError, KeyError):
        return ""
    return message.unescape(text)


def apy_text(message, er7_of_leaf: str) -> str:
    """An hl7apy value (kept escaped by hl7apy) unescaped by python-hl7's rules."""
    return hl7.parse("MSH|^~\\&|\r").unescape(er7_of_leaf)
