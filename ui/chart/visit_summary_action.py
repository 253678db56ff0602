"""The visit summary for the patient, made from an encounter and shown in the print preview
(Print…, Save as PDF…). Call `show_visit_summary` from wherever a visit is open."""

from __future__ import annotations

import logging

from PySide6.QtWidgets import QMessageBox, QWidget

from emr.errors import UserError
from emr.services.context import Actor
from ui.widgets.pdf_preview import PdfPreviewDialog

log = logging.getLogger(__name__)
_shown: list[QMessageBox] = []  # keeps a parentless message box alive while it is open


def show_visit_summary(
    parent: QWidget | None, actor: Actor, encounter_id: int
) -> PdfPreviewDialog | None:
    """Open the preview of the visit's summary (not modal); None, with the reason shown to the
    user, when it cannot be made (no chart access, a name no font can print …)."""
    from emr.printing.visit_summary import visit_summary_pdf

    try:
        pdf = visit_summary_pdf(actor, encounter_id)
    except UserError as exc:
        box = QMessageBox(QMessageBox.Icon.Warning, "Visit summary", exc.message, parent=parent)
        box.setObjectName("visitSummaryError")
        _shown.append(box)
        box.finished.connect(lambda _result: _shown.remove(box))
        box.open()
        return None
    log.info("visit summary of encounter %s previewed", encounter_id)
    dialog = PdfPreviewDialog(
        pdf, "Visit summary", parent, file_name=f"visit-summary-{encounter_id}.pdf"
    )
    dialog.open()
    return dialog
