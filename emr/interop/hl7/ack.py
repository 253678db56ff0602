"""Acknowledgements (original mode): read the ACK a peer sends back (MSA-1 AA accepted, AE
error, AR rejected; the text in MSA-3 and ERR), and make the ACK for a message we received."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from emr.interop.hl7.encoding import (
    ENCODING_CHARACTERS,
    ParseError,
    message,
    namespace,
    new_control_id,
    parse,
    segment,
    timestamp,
)

ACCEPTED = "AA"
CODES = {"AA", "AE", "AR", "CA", "CE", "CR"}


@dataclass(frozen=True)
class Ack:
    code: str  # MSA-1: AA, AE, AR (CA/CE/CR in enhanced mode)
    acknowledged_control_id: str  # MSA-2: the MSH-10 of the message this answers
    text: str  # MSA-3 and the ERR segments' diagnostics, joined

    @property
    def accepted(self) -> bool:
        return self.code in ("AA", "CA")


def parse_ack(er7: str) -> Ack:
    """The ACK's code and text; ParseError if it is not an acknowledgement."""
    parsed = parse(er7)
    msa = parsed.first("MSA")
    if msa is None:
        raise ParseError("The answer has no MSA segment: it is not an acknowledgement.")
    code = msa.value(1).strip().upper()
    if code not in CODES:
        raise ParseError(f"Unknown acknowledgement code {code!r} in MSA-1.")
    texts = [msa.value(3)]
    for err in parsed.all("ERR"):
        # 2.5 and later: ERR-3 HL7 error code (CWE text), ERR-7 diagnostic, ERR-8 user message;
        # before 2.5: ERR-1 (ELD) held the location and the coded error.
        texts += [err.value(8), err.value(7), err.value(3, 2), err.value(1, 4, 2)]
    text = "; ".join(dict.fromkeys(t for t in texts if t))
    return Ack(code=code, acknowledged_control_id=msa.value(2), text=text)


def build_ack(
    received: str,
    code: str = ACCEPTED,
    text: str = "",
    *,
    control_id: str | None = None,
    now: datetime | None = None,
) -> str:
    """The ACK for a received message: sender and receiver swapped, MSA-2 its control id;
    with AE/AR, the text goes in MSA-3 and an ERR segment."""
    if code not in CODES:
        raise ValueError(f"not an acknowledgement code: {code}")
    msh = parse(received).first("MSH")
    event = msh.value(9, 2)
    version = msh.value(12) or "2.5.1"
    parts = [
        "MSH|"
        + ENCODING_CHARACTERS
        + segment(
            "",
            (namespace(msh.value(5)),),
            (namespace(msh.value(6)),),
            (namespace(msh.value(3)),),
            (namespace(msh.value(4)),),
            timestamp(now or datetime.now(UTC)),
            None,
            ("ACK", event, "ACK"),
            control_id or new_control_id(),
            (msh.value(11) or "P",),
            (version,),
        ),
        segment("MSA", code, msh.value(10), text or None),
    ]
    if code != ACCEPTED and text:
        severity = "E"
        parts.append(
            segment(
                "ERR",
                None,
                None,
                ("207", "Application internal error", "HL70357"),
                severity,
                None,
                None,
                None,
                text,
            )
        )
    return message(parts)
