"""The encoder: escaping both ways, fields, limits, timestamps, numbers and control ids."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import hl7
import pytest

from emr.interop.hl7.encoding import (
    ST_MAX,
    Repeat,
    Text,
    escape,
    message,
    new_control_id,
    number,
    parse,
    parse_timestamp,
    segment,
    sequential_control_id,
    timestamp,
    unescape,
)


def test_every_delimiter_has_its_escape_sequence():
    assert escape("|") == "\\F\\"
    assert escape("^") == "\\S\\"
    assert escape("~") == "\\R\\"
    assert escape("\\") == "\\E\\"
    assert escape("&") == "\\T\\"
    assert escape("O'Brien-Smith^Jr|") == "O'Brien-Smith\\S\\Jr\\F\\"


def test_control_characters_go_as_hexadecimal_and_come_back():
    assert escape("a\rb\nc") == "a\\X0D\\b\\X0A\\c"
    for text in ["a\rb\nc\x00", "\\F\\ literally", "é ü 漢字 🙂", "", "\\"]:
        assert unescape(escape(text)) == text
        assert hl7.parse("MSH|^~\\&|\r").unescape(escape(text)) == text


def test_a_long_value_is_cut_at_the_limit_but_never_inside_an_escape_sequence():
    cut = escape("|" * 100, ST_MAX)
    assert len(cut) <= ST_MAX
    assert cut.count("\\") % 2 == 0
    assert unescape(cut) == "|" * (len(cut) // 3)
    assert escape(Text("x") * 300) == "x" * 300  # no limit unless asked


def test_fields_components_subcomponents_and_repetitions():
    text = segment("ZZZ", "a|b", ("c", ("d", "e&f"), ""), Repeat(("g", "h"), "i~j"), None, "", None)
    assert text == "ZZZ|a\\F\\b|c^d&e\\T\\f|g^h~i\\R\\j"
    parsed = parse(message(["MSH|^~\\&|A", text])).first("ZZZ")
    assert parsed.value(1) == "a|b"
    assert parsed.value(2, 2, 2) == "e&f"
    assert parsed.value(3, 2, repetition=1) == "h"
    assert parsed.value(3, repetition=2) == "i~j"
    assert parsed.repetitions(3) == 2
    assert parsed.value(9) == ""


def test_timestamps_carry_the_offset_and_read_back():
    eastern = timezone(timedelta(hours=-5))
    moment = datetime(2026, 11, 26, 8, 30, tzinfo=eastern)
    text = timestamp(moment)
    assert len(text) == 19 and text[14] in "+-"
    assert parse_timestamp(text) == moment
    assert parse_timestamp(timestamp(datetime(2026, 1, 1, tzinfo=UTC))) == datetime(
        2026, 1, 1, tzinfo=UTC
    )
    assert date(1950, 1, 1).strftime("%Y%m%d") == "19500101"


def test_numbers_without_float_noise_or_exponent():
    assert number(120.0) == "120"
    assert number(0.1) == "0.1"
    assert number(37.25) == "37.25"
    assert number(1e20) == "100000000000000000000"
    assert number(-0.0) == "0"
    assert number(None) == ""


def test_control_ids_are_unique_and_at_most_20_characters():
    ids = {new_control_id() for _ in range(10_000)} | {
        sequential_control_id() for _ in range(10_000)
    }
    assert len(ids) == 20_000
    assert max(map(len, ids)) <= 20


def test_the_reader_refuses_what_is_not_hl7():
    import pytest

    from emr.interop.hl7.encoding import ParseError

    with pytest.raises(ParseError):
        parse("hello")
    with pytest.raises(ParseError):
        parse("MSH|^~#&|A")


# --- acknowledgements (emr.interop.hl7.ack) -------------------------------------------------


def test_an_ack_for_a_received_message_and_reading_it_back():
    import hl7

    from emr.interop.hl7.ack import build_ack, parse_ack
    from tests.interop import strict

    received = (
        "MSH|^~\\&|EMR|CLINIC|LAB|HOSP|20261126083000-0500||ADT^A08^ADT_A01|MSG42|P|2.5.1\r"
        "EVN|A08|20261126083000-0500\rPID|1||123^^^EMR^MR||Doe^Jane\rPV1|1|N\r"
    )
    accepted = build_ack(received, now=datetime(2026, 11, 26, tzinfo=UTC))
    strict(accepted)
    h = hl7.parse(accepted)
    assert str(h["MSH.F3"]) == "LAB" and str(h["MSH.F5"]) == "EMR"
    assert str(h["MSA.F1"]) == "AA" and str(h["MSA.F2"]) == "MSG42"
    ack = parse_ack(accepted)
    assert ack.accepted and ack.acknowledged_control_id == "MSG42" and ack.text == ""

    refused = build_ack(received, "AE", "Unknown patient | 123")
    strict(refused)
    ack = parse_ack(refused)
    assert (ack.code, ack.accepted) == ("AE", False)
    assert ack.text == "Unknown patient | 123; Application internal error"


def test_reading_a_peer_ack_with_err_segments():
    from emr.interop.hl7.ack import parse_ack
    from emr.interop.hl7.encoding import ParseError

    peer = (
        "MSH|^~\\&|LAB|HOSP|EMR|CLINIC|20261126083001||ACK^A08^ACK|A1|P|2.5.1\r"
        "MSA|AR|MSG42\r"
        "ERR||PID^1^5|101^Required field missing^HL70357|E||||Family name \\T\\ given needed\r"
    )
    ack = parse_ack(peer)
    assert ack.code == "AR"
    assert ack.text == "Family name & given needed; Required field missing"
    with pytest.raises(ParseError):
        parse_ack("MSH|^~\\&|LAB\rPID|1\r")
