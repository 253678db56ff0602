"""The printed prescription: what it says (read back with pypdf), the Code 128 barcode of its
id (decoded from the bars drawn in the PDF), one or several to a page, COPY on a reprint,
only signed ones print, every print counted and audited."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from io import BytesIO
from pathlib import Path

import pytest
from barcode.charsets.code128 import CODES, STOP
from pypdf import PdfReader
from pypdf.generic import ContentStream
from sqlalchemy import select

from emr.errors import ValidationError
from emr.models.audit import AuditEvent
from emr.printing.prescription import barcode_svg, prescription_pdf
from emr.services.auth import login
from emr.services.patients import PatientInput, register_patient
from emr.services.practice import PracticeInput, get_practice, update_practice
from emr.services.prescriptions import (
    PrescriptionInput,
    draft_prescription,
    get_prescription,
    sign_prescription,
)
from emr.services.users import create_user

PASSWORD = "prescriber pw 1"
LISINOPRIL = PrescriptionInput(
    drug_name="lisinopril",
    strength="10 mg",
    dose_form="tablet",
    dose_amount="1",
    dose_unit="tablet",
    frequency="once daily",
    quantity="90",
    quantity_unit="tablets",
    refills=3,
    dispense_as_written=True,
    pharmacy_note="Patient prefers non-childproof caps",
    diagnosis_code="I10",
)
OXYCODONE = PrescriptionInput(
    drug_name="oxycodone",
    strength="5 mg",
    dose_form="tablet",
    dose_amount="1",
    dose_unit="tablet",
    frequency="every 6 hours",
    as_needed=True,
    as_needed_reason="pain",
    duration_days=3,
    quantity="12",
    quantity_unit="tablets",
)


@pytest.fixture
def prescriber(db, operator):
    create_user(
        operator,
        username="rxdoc",
        full_name="Rita Prescriber",
        role="physician",
        password=PASSWORD,
        npi="1234567893",
        dea_number="AB1234563",
    )
    update_practice(
        operator,
        get_practice(operator).version,
        PracticeInput(
            name="Riverside Family Practice",
            address_line1="12 Main Street",
            city="Springfield",
            state="IL",
            postal_code="62701",
            phone="(217) 555-0100",
        ),
    )
    return login(db, "rxdoc", PASSWORD)


@pytest.fixture
def anna(operator):
    return register_patient(
        operator,
        PatientInput(
            family_name="Müller",
            given_name="Anna",
            date_of_birth=date(1984, 3, 7),
            sex="F",
            address_line1="4 Elm Road",
            city="Springfield",
            state="IL",
            postal_code="62704",
        ),
    )


def signed(actor, patient_id: int, data: PrescriptionInput):
    draft = draft_prescription(actor, patient_id, data)
    return sign_prescription(actor, draft.id, draft.version)


def page_texts(pdf: bytes) -> list[str]:
    return [" ".join(p.extract_text().split()) for p in PdfReader(BytesIO(pdf)).pages]


# --- reading a Code 128 symbol back from its bars ------------------------------------------


def bars_on_page(pdf: bytes, page: int = 0) -> list[list[tuple[float, float]]]:
    """The barcodes of a page, each as its bars (x, width) from left to right: filled
    rectangles of the same bottom and height, cut where a gap is wider than a quiet zone."""
    reader = PdfReader(BytesIO(pdf))
    content = ContentStream(reader.pages[page].get_contents(), reader)
    rows: dict[tuple[float, float], list[tuple[float, float]]] = {}
    for operands, operator in content.operations:
        if operator == b"re":
            x, y, w, h = (float(v) for v in operands)
            rows.setdefault((round(y, 2), round(h, 2)), []).append((x, w))
    symbols = []
    for row in rows.values():
        row.sort()
        unit = min(w for _, w in row)
        current = [row[0]]
        for bar, previous in zip(row[1:], row, strict=False):
            if bar[0] - (previous[0] + previous[1]) > 15 * unit:
                symbols.append(current)
                current = []
            current.append(bar)
        symbols.append(current)
    return [s for s in symbols if len(s) >= 10]


def modules(bars: list[tuple[float, float]]) -> str:
    """The bars and the gaps between them as a string of 1 and 0 modules."""
    unit = min(w for _, w in bars)
    out = []
    for number, (x, w) in enumerate(bars):
        if number:
            gap = x - (bars[number - 1][0] + bars[number - 1][1])
            out.append("0" * round(gap / unit))
        out.append("1" * round(w / unit))
    return "".join(out)


def decode_code128(pattern: str) -> str:
    """Code 128 modules to the text they encode (code sets B and C), checking the start
    symbol, the checksum and the stop pattern."""
    stop = STOP + "11"  # the stop symbol and its final bar: 13 modules
    assert pattern.endswith(stop), "no stop pattern"
    body = pattern[: -len(stop)]
    assert len(body) % 11 == 0
    values = [CODES.index(body[i : i + 11]) for i in range(0, len(body), 11)]
    start, *data, check = values
    assert start in (104, 105), "start code B or C"
    assert check == (start + sum(i * v for i, v in enumerate(data, start=1))) % 103
    text, code = [], "B" if start == 104 else "C"
    for value in data:
        if value == 99:
            code = "C"
        elif value == 100:
            code = "B"
        elif code == "C":
            text.append(f"{value:02d}")
        else:
            text.append(chr(value + 32))
    return "".join(text)


def decoded_barcodes(pdf: bytes, page: int = 0) -> list[str]:
    return [decode_code128(modules(row)) for row in bars_on_page(pdf, page)]


# --- the tests ---------------------------------------------------------------------------


def test_a_prescription_prints_everything_a_pharmacy_needs(prescriber, anna, tmp_path: Path):
    rx = signed(prescriber, anna.id, LISINOPRIL)
    out = tmp_path / "rx.pdf"
    pdf = prescription_pdf(prescriber, [rx.id], out=out)
    assert out.read_bytes() == pdf
    [text] = page_texts(pdf)
    for expected in (
        "Riverside Family Practice",
        "Rita Prescriber",
        "NPI 1234567893",
        "Anna Müller",
        "03/07/1984",
        "4 Elm Road, Springfield, IL 62704",
        "lisinopril 10 mg tablet",
        "Sig: Take 1 tablet by mouth once daily",
        "Dispense: 90 tablets",
        "Refills: 3",
        "DISPENSE AS WRITTEN",
        "Diagnosis: I10",
        "Note to pharmacist: Patient prefers non-childproof caps",
        f"Rx #{rx.id}",
        f"Date {date.today():%m/%d/%Y}",
        "Signature — Rita Prescriber",
    ):
        assert expected in text, expected
    assert "DEA" not in text  # not a controlled substance
    assert "COPY" not in text
    assert decoded_barcodes(pdf) == [str(rx.id)]


def test_a_controlled_substance_shows_the_dea_number_and_the_quantity_in_words(prescriber, anna):
    rx = signed(prescriber, anna.id, OXYCODONE)
    [text] = page_texts(prescription_pdf(prescriber, [rx.id]))
    assert "DEA AB1234563" in text
    assert "Dispense: twelve (12) tablets" in text
    assert "Schedule II controlled substance" in text
    assert "Refills: no refills" in text
    assert "as needed for pain for up to 3 days" in text


def test_a_reprint_is_marked_copy_counted_and_audited(db, prescriber, anna):
    rx = signed(prescriber, anna.id, LISINOPRIL)
    prescription_pdf(prescriber, [rx.id])
    again = prescription_pdf(prescriber, [rx.id])
    assert "COPY" in page_texts(again)[0]
    assert get_prescription(prescriber, rx.id).times_printed == 2
    with db.read() as s:
        printed = list(
            s.scalars(
                select(AuditEvent.detail).where(
                    AuditEvent.entity == "prescriptions",
                    AuditEvent.entity_id == rx.id,
                    AuditEvent.detail.like("printed%"),
                )
            )
        )
    assert printed == ["printed lisinopril", "printed lisinopril (copy, print 2)"]


def test_several_to_a_page_each_with_its_own_barcode(prescriber, anna):
    ids = [
        signed(prescriber, anna.id, replace(LISINOPRIL, drug_name=name, diagnosis_code="")).id
        for name in ("lisinopril", "atorvastatin", "sertraline")
    ]
    two = prescription_pdf(prescriber, ids, per_page=2)
    assert len(page_texts(two)) == 2
    assert sorted(decoded_barcodes(two, 0)) == sorted(str(i) for i in ids[:2])
    four = prescription_pdf(prescriber, ids, per_page=4)
    [text] = page_texts(four)
    assert all(f"Rx #{i}" in text for i in ids)
    assert sorted(decoded_barcodes(four)) == sorted(str(i) for i in ids)
    with pytest.raises(ValidationError):
        prescription_pdf(prescriber, ids, per_page=3)


def test_only_signed_prescriptions_print_and_a_refusal_counts_nothing(prescriber, anna):
    rx = signed(prescriber, anna.id, LISINOPRIL)
    draft = draft_prescription(prescriber, anna.id, LISINOPRIL)
    with pytest.raises(ValidationError, match="only signed"):
        prescription_pdf(prescriber, [rx.id, draft.id])
    assert get_prescription(prescriber, rx.id).times_printed == 0


def test_the_barcode_is_python_barcodes_symbol(prescriber, anna):
    """The bars drawn are the ones python-barcode made for the id (its SVG)."""
    rx = signed(prescriber, anna.id, LISINOPRIL)
    svg = barcode_svg(str(rx.id)).decode()
    assert "python-barcode" in svg
    drawn = bars_on_page(prescription_pdf(prescriber, [rx.id]))[0]
    assert len(drawn) == svg.count("fill:black")
