"""ORU^R01: vital signs and laboratory results. One OBR per report (a lab panel, or one vitals
entry), one OBX per observation with its LOINC code, value type, UCUM unit, reference range,
abnormal flag, time and result status."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from emr.interop.hl7 import segments as seg
from emr.interop.hl7.encoding import message
from emr.models.chart import Encounter
from emr.models.observations import LabPanel, Observation
from emr.models.patients import Patient
from emr.models.users import User

VITALS_PANEL = (
    "85353-1",
    "Vital signs, weight, height, head circumference, oximetry and BMI panel",
)


@dataclass(frozen=True)
class Report:
    """One OBR and its observations."""

    filler_number: str  # our id of the report: "panel-12", "vitals-<group>"
    service: tuple  # OBR-4 (code, text, system)
    observed_at: datetime
    observations: list[Observation]
    performing_lab: str = ""
    ordering: User | None = None
    notes: str = ""


def panel_report(panel: LabPanel, rows: list[Observation], ordering: User | None) -> Report:
    service = seg.coded(panel.loinc_code, panel.name, seg.LOINC) or ("", panel.name)
    return Report(
        filler_number=f"panel-{panel.id}",
        service=service,
        observed_at=panel.collected_at,
        observations=rows,
        performing_lab=panel.performing_lab,
        ordering=ordering,
        notes=panel.notes,
    )


def vitals_report(rows: list[Observation]) -> Report:
    first = rows[0]
    return Report(
        filler_number=f"vitals-{first.group_id or first.id}"[:199],
        service=(*VITALS_PANEL, seg.LOINC),
        observed_at=first.observed_at,
        observations=rows,
    )


def build_oru(
    patient: Patient,
    reports: list[Report],
    h: seg.Header,
    *,
    encounter: Encounter | None = None,
    provider: User | None = None,
) -> str:
    parts = [seg.msh(h, "ORU^R01", "ORU_R01"), seg.pid(patient, h)]
    if encounter is not None:
        parts.append(seg.pv1(encounter, provider, h))
    for number, report in enumerate(reports, start=1):
        status = "F" if any(not o.entered_in_error for o in report.observations) else "W"
        parts.append(
            seg.obr(
                number,
                report.filler_number,
                report.service,
                report.observed_at,
                report.ordering,
                h,
                status=status,
            )
        )
        parts += seg.nte_lines(report.notes)
        lab = report.performing_lab
        parts += [
            seg.obx(i, o, o.performing_lab or lab)
            for i, o in enumerate(report.observations, start=1)
        ]
    return message(parts)
