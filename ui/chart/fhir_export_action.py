"""The chart's "Export for patient…": the patient's record as a FHIR R4 Bundle (JSON) saved
where the user chooses, for the patient's health app. The export is audited by the service."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from PySide6.QtCore import QStandardPaths
from PySide6.QtWidgets import QDialog, QFileDialog, QMessageBox, QWidget

from emr.errors import UserError
from emr.printing import write_atomically
from emr.services.context import Actor

log = logging.getLogger(__name__)


def suggested_name(mrn: str) -> str:
    return f"health-record-{mrn}.json"


def export_for_patient(parent: QWidget | None, actor: Actor, patient_id: int) -> Path | None:
    """Ask where to save the patient's FHIR record and write it; the path, or None when the
    user cancels or it cannot be made (the user is told why)."""
    from emr.interop.fhir.bundle import export_patient
    from emr.services.patients import get_patient

    try:
        mrn = get_patient(actor, patient_id).mrn
    except UserError as exc:
        QMessageBox.warning(parent, "Export for patient", str(exc))
        return None
    folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    dialog = QFileDialog(parent, "Export for patient", str(Path(folder) / suggested_name(mrn)))
    dialog.setObjectName("fhirExportFileDialog")
    dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    dialog.setNameFilter("FHIR JSON (*.json)")
    dialog.setDefaultSuffix("json")
    dialog.selectFile(suggested_name(mrn))
    if dialog.exec() != QDialog.DialogCode.Accepted or not dialog.selectedFiles():
        return None
    path = Path(dialog.selectedFiles()[0])
    try:
        bundle = export_patient(actor, patient_id)
        write_atomically(path, json.dumps(bundle, ensure_ascii=False, indent=2).encode("utf-8"))
    except UserError as exc:
        QMessageBox.warning(parent, "Not exported", str(exc))
        return None
    log.info("FHIR export of patient %s saved (%s resources)", patient_id, len(bundle["entry"]))
    return path
