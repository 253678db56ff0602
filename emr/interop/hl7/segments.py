"""The segments of the messages we send, each made from the app's rows (HL7 v2.5.1).

Every builder returns one ER7 segment (no terminator). Values are escaped by the encoder;
codes carry their system (LN for LOINC, UCUM, CVX, MVX, I10C for ICD-10-CM, RXNORM, HL7 tables).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from emr.interop.hl7.encoding import (
    CHARACTER_SET,
    ENCODING_CHARACTERS,
    VERSION,
    Repeat,
    Text,
    coded,
    day,
    fits,
    namespace,
    number,
    segment,
    timestamp,
)
from emr.models.chart import Encounter
from emr.models.observations import Observation
from emr.models.patients import Patient
from emr.models.users import User

LOINC = "LN"
UCUM = "UCUM"
ICD10CM = "I10C"


@dataclass(frozen=True)
class Header:
    """What MSH needs besides the message's type."""

    sending_application: str
    sending_facility: str
    receiving_application: str
    receiving_facility: str
    control_id: str
    now: datetime

    @property
    def authority(self) -> str:
        """The assigning authority of our identifiers (MRN, order and document numbers)."""
        return namespace(self.sending_application)


def split_name(full_name: str) -> tuple[str, str]:
    """(family, given) of a name kept in one string: the last word is the family name.
    `f"{given} {family}"` gives the name back exactly."""
    if " " not in full_name:
        return full_name, ""
    given, family = full_name.rsplit(" ", 1)
    return family, given


def join_name(family: str, given: str) -> str:
    return f"{given} {family}" if given else family


def msh(h: Header, message_type: str, structure: str) -> str:
    code, event = message_type.split("^")
    # MSH-1 and MSH-2 are the delimiters themselves, written as they are.
    return (
        "MSH|"
        + ENCODING_CHARACTERS
        + segment(
            "",
            (namespace(h.sending_application),),
            (namespace(h.sending_facility),),
            (namespace(h.receiving_application),),
            (namespace(h.receiving_facility),),
            timestamp(h.now),
            None,
            (code, event, structure),
            h.control_id,
            ("P",),
            (VERSION,),
            None,
            None,
            "AL",  # MSH-15 accept acknowledgement: always
            "NE",  # MSH-16 application acknowledgement: never
            None,
            CHARACTER_SET,
        )
    )


def evn(event: str, h: Header) -> str:
    return segment("EVN", event, timestamp(h.now))


def xcn(user: User | None, h: Header) -> tuple | None:
    """A provider: NPI when known (else our user id), family and given names."""
    if user is None:
        return None
    family, given = split_name(user.full_name)
    if user.npi:
        return (user.npi, family, given, "", "", "", "", "", ("NPI",), "L", "", "", "NPI")
    return (str(user.id), family, given, "", "", "", "", "", (h.authority,), "L", "", "", "PRN")


def xpn_free(full_name: str) -> tuple | None:
    if not full_name:
        return None
    family, given = split_name(full_name)
    return (family, given)


def xtn(number_text: str, use: str, equipment: str) -> tuple | None:
    """A telephone as entered (XTN-1), with its use (PRN home, WPN work, ORN other) and
    equipment (PH, CP cell phone, FX fax, Internet)."""
    if not number_text:
        return None
    return (number_text, use, equipment)


def email(address: str) -> tuple | None:
    return ("", "NET", "Internet", address) if address else None


def repeat_of(*items: tuple | None) -> Repeat | None:
    present = [i for i in items if i]
    return Repeat(*present) if present else None


def pid(p: Patient, h: Header) -> str:
    address = (p.address_line1, p.address_line2, p.city, p.state, p.postal_code, p.country, "H")
    return segment(
        "PID",
        "1",
        None,
        Repeat((p.mrn, "", "", (h.authority,), "MR")),
        None,
        Repeat((p.family_name, p.given_name, p.middle_name, "", "", "", "L")),
        None,
        day(p.date_of_birth),
        p.sex,
        None,
        None,
        Repeat(address) if any(address[:6]) else None,
        None,
        repeat_of(xtn(p.phone_home, "PRN", "PH"), xtn(p.phone_mobile, "ORN", "CP"), email(p.email)),
        repeat_of(xtn(p.phone_work, "WPN", "PH")),
        coded("", p.preferred_language),
        *([None] * 13),  # PID-16 … PID-28
        day(p.deceased_date) if p.deceased else None,
        "Y" if p.deceased else "N",
    )


# HL7 table 0063 (relationship): the words the front desk types, and their codes.
_RELATIONSHIPS = {
    "self": "SEL",
    "spouse": "SPO",
    "wife": "SPO",
    "husband": "SPO",
    "partner": "DOM",
    "domestic partner": "DOM",
    "parent": "PAR",
    "mother": "MTH",
    "father": "FTH",
    "child": "CHD",
    "son": "CHD",
    "daughter": "CHD",
    "sibling": "SIB",
    "brother": "BRO",
    "sister": "SIS",
    "friend": "FND",
    "guardian": "GRD",
    "grandparent": "GRP",
    "other": "OTH",
}


def relationship(text: str) -> tuple | None:
    code = _RELATIONSHIPS.get(text.strip().lower(), "")
    return coded(code, text, "HL70063")


def nk1_emergency_contact(p: Patient) -> str | None:
    if not (p.emergency_contact_name or p.emergency_contact_phone):
        return None
    return segment(
        "NK1",
        "1",
        repeat_of(xpn_free(p.emergency_contact_name)),
        relationship(p.emergency_contact_relationship),
        None,
        repeat_of(xtn(p.emergency_contact_phone, "PRN", "PH")),
        None,
        ("EC", "Emergency Contact", "HL70131"),
    )


def pv1(encounter: Encounter | None, provider: User | None, h: Header) -> str:
    """The visit; without one (a registration), patient class N (not applicable)."""
    if encounter is None:
        return segment("PV1", "1", "N")
    return segment(
        "PV1",
        "1",
        "O",
        None,
        None,
        None,
        None,
        repeat_of(xcn(provider, h)),
        *([None] * 11),  # PV1-8 … PV1-18
        (str(encounter.id), "", "", (h.authority,), "VN"),
        *([None] * 24),  # PV1-20 … PV1-43
        timestamp(encounter.occurred_at),
    )


def in1(p: Patient) -> str | None:
    if not (p.insurance_payer or p.insurance_member_id):
        return None
    payer = p.insurance_payer or "Unknown payer"
    return segment(
        "IN1",
        "1",
        ("", payer),  # IN1-2 plan: we keep the payer's name only
        (payer,),  # IN1-3 company id: the name stands for it (no payer id is kept)
        Repeat((payer,)),
        None,
        None,
        None,
        p.insurance_group,
        *([None] * 7),  # IN1-9 … IN1-15
        repeat_of(xpn_free(p.insurance_subscriber_name)),
        relationship(p.insurance_subscriber_relationship),
        *([None] * 18),  # IN1-18 … IN1-35
        p.insurance_member_id,
    )


# --- observations --------------------------------------------------------------------------


def reference_range(o: Observation) -> str:
    if o.ref_text:
        return o.ref_text
    low, high = number(o.ref_low), number(o.ref_high)
    if low and high:
        return f"{low}-{high}"
    if low:
        return f">{low}"
    if high:
        return f"<{high}"
    return ""


def obx(set_id: int, o: Observation, producer: str = "") -> str:
    if o.value_num is not None:
        value_type, value = "NM", number(o.value_num)
    elif fits(o.value_text):
        value_type, value = "ST", o.value_text
    else:
        value_type, value = "TX", Text(o.value_text)
    return segment(
        "OBX",
        str(set_id),
        value_type,
        coded(o.loinc_code, o.name, LOINC) or ("", o.name),
        None,
        value,
        coded(o.unit, o.unit, UCUM),
        reference_range(o),
        o.flag,
        None,
        None,
        "W" if o.entered_in_error else "F",  # W: the earlier result was wrong
        None,
        None,
        timestamp(o.observed_at),
        *([None] * 8),  # OBX-15 … OBX-22
        Repeat((producer,)) if producer else None,
    )


def obr(
    set_id: int,
    filler_number: str,
    service: tuple,
    observed_at: datetime,
    ordering: User | None,
    h: Header,
    status: str = "F",
) -> str:
    return segment(
        "OBR",
        str(set_id),
        None,
        (filler_number, h.authority),
        service,
        None,
        None,
        timestamp(observed_at),
        *([None] * 8),  # OBR-8 … OBR-15
        repeat_of(xcn(ordering, h)),
        *([None] * 5),  # OBR-17 … OBR-21
        timestamp(h.now),
        None,
        None,
        status,
    )


def nte(set_id: int, text: str, source: str = "L", comment_type: tuple | None = None) -> str | None:
    """A comment, one repetition of NTE-3 per line (lines come back joined by newlines)."""
    if not text:
        return None
    lines = Repeat(*(Text(line) for line in text.split("\n")))
    return segment("NTE", str(set_id), source, lines, comment_type)


def nte_lines(text: str, source: str = "L") -> list[str]:
    made = nte(1, text, source)
    return [made] if made else []


# --- orders --------------------------------------------------------------------------------


def orc(
    control: str,
    order_number: str,
    h: Header,
    *,
    placer: bool = True,
    when: datetime | None = None,
    ordering: User | None = None,
) -> str:
    number_id = (order_number, h.authority)
    return segment(
        "ORC",
        control,
        number_id if placer else None,
        number_id if not placer else None,
        *([None] * 5),  # ORC-4 … ORC-8
        timestamp(when) if when else None,
        None,
        None,
        repeat_of(xcn(ordering, h)),
    )


def dg1(set_id: int, code: str, description: str) -> str:
    return segment("DG1", str(set_id), None, (code, description, ICD10CM), None, None, "W")


def tq1(
    *,
    repeat: tuple | None = None,
    duration_days: int | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    as_needed: bool = False,
    condition: str = "",
    instruction: str = "",
) -> str:
    return segment(
        "TQ1",
        "1",
        None,
        Repeat(repeat) if repeat else None,
        None,
        None,
        (number(duration_days), ("d", "day", UCUM)) if duration_days else None,
        timestamp(start) if start else None,
        timestamp(end) if end else None,
        Repeat(("PRN", "As needed", "HL70485") if as_needed else ("R", "Routine", "HL70485")),
        Text(condition) if condition else None,
        Text(instruction) if instruction else None,
    )


def dose_amount(text: str) -> tuple[str, str]:
    """(minimum, maximum) numbers of a dose as typed: "1" -> ("1", ""), "1-2" -> ("1", "2")."""
    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(?:(?:-|to)\s*(\d+(?:\.\d+)?))?\s*", text or "")
    if not found:
        return "", ""
    return found.group(1), found.group(2) or ""


def when(value: date | datetime | None) -> str | None:
    """A TS of a day or a moment."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return timestamp(value)
    return day(value)
