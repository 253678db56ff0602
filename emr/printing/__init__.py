"""Printed documents (reportlab PDFs) on the practice's letterhead: the day sheet, and later
prescriptions, referral letters and visit summaries. No Qt here; the UI prints the PDF bytes."""
