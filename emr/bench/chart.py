"""Benchmarks of the chart on the demo's big chart (the patient with the most encounters: 700
encounters and 5,000 observations): opening it (the header), opening it with its first pane
(the timeline's newest 200 events), a vital's series for a plot, searching inside it, the
list of its encounters; and the header of ordinary charts.

ICD-10-CM search is timed by emr.bench.codes.

Floors: the statements each operation needs on the bare driver, in one transaction with the
audit event the service writes: the header's reads; the timeline's one query per kind of
record (the vitals limited to the newest 200 entries as the service does); the series query;
one LIKE query per kind of record for the search; the encounter list's join.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, select

from emr.bench import BenchContext, Operation
from emr.bench.raw import RawConnection
from emr.codes import loinc
from emr.models.chart import Encounter
from emr.models.patients import Patient
from emr.services.chart import open_chart

TIMELINE_LIMIT = 200
SERIES_KEYS = ("systolic", "diastolic", "heart_rate", "weight", "bmi", "temperature")
SEARCHES = ("metformin", "A1c")
SAMPLE_SIZE = 40


def operations(ctx: BenchContext) -> list[Operation]:
    big = _big_chart(ctx)
    if big is None:
        return []
    from emr.services.chart_search import search_chart
    from emr.services.encounters import list_encounters
    from emr.services.timeline import timeline
    from emr.services.vitals import vital_series

    actor = ctx.actor
    raw = RawConnection(ctx.db)
    typical = _typical_charts(ctx, big)
    codes = [loinc.vital_sign(key).loinc_code for key in SERIES_KEYS]

    def header_and_pane(i: int) -> None:
        open_chart(actor, big)
        timeline(actor, big, limit=TIMELINE_LIMIT)

    def floor_header_and_pane(i: int) -> None:
        _raw_header(raw, big)
        _raw_timeline(raw, big)

    ops = [
        Operation(
            "chart_open_header_big",
            run=lambda i: open_chart(actor, big),
            floor=lambda i: _raw_header(raw, big),
        ),
        Operation("chart_open_header_and_timeline_big", header_and_pane, floor_header_and_pane),
        Operation(
            "chart_open_header_typical",
            run=lambda i: open_chart(actor, typical[i % len(typical)]),
            floor=lambda i: _raw_header(raw, typical[i % len(typical)]),
        ),
        Operation(
            "chart_vitals_series_big",
            run=lambda i: vital_series(actor, big, SERIES_KEYS[i % len(SERIES_KEYS)]),
            floor=lambda i: _raw_series(raw, big, codes[i % len(codes)]),
        ),
    ]
    for query in SEARCHES:
        ops.append(
            Operation(
                f"chart_search_{query.lower()}_big",
                run=_searcher(search_chart, actor, big, query),
                floor=lambda i, q=query: _raw_search(raw, big, q),
            )
        )
    ops.append(
        Operation(
            "chart_encounter_list_big",
            run=lambda i: list_encounters(actor, big),
            floor=lambda i: _raw_encounters(raw, big),
        )
    )
    return ops


def _searcher(search_chart: Callable, actor, patient_id: int, query: str):
    return lambda i: search_chart(actor, patient_id, query)


def _big_chart(ctx: BenchContext) -> int | None:
    """The patient with the most encounters (the demo's big chart)."""
    with ctx.db.read() as s:
        return s.execute(
            select(Encounter.patient_id)
            .group_by(Encounter.patient_id)
            .order_by(func.count().desc(), Encounter.patient_id)
            .limit(1)
        ).scalar()


def _typical_charts(ctx: BenchContext, big: int) -> list[int]:
    with ctx.db.read() as s:
        top = s.execute(select(func.max(Patient.id))).scalar() or big
    ids = sorted({ctx.rng.randint(1, top) for _ in range(SAMPLE_SIZE)} - {big})
    return ids or [big]


# --- floors ----------------------------------------------------------------------------------


def _raw_header(raw: RawConnection, patient_id: int) -> None:
    cur = raw.begin_write()
    cur.execute("SELECT * FROM patients WHERE id = ?", (patient_id,)).fetchone()
    cur.execute("SELECT image FROM patient_photos WHERE patient_id = ?", (patient_id,)).fetchone()
    cur.execute(
        "SELECT no_known_allergies FROM allergy_status WHERE patient_id = ?", (patient_id,)
    ).fetchone()
    cur.execute(
        "SELECT substance, reaction, severity FROM allergies WHERE patient_id = ? "
        "AND entered_in_error = 0 AND status = 'active' ORDER BY substance",
        (patient_id,),
    ).fetchall()
    cur.execute(
        "SELECT icd10_code, description FROM problems WHERE patient_id = ? "
        "AND entered_in_error = 0 AND status = 'active' ORDER BY onset IS NULL, onset, id",
        (patient_id,),
    ).fetchall()
    cur.execute(
        "SELECT name, dose, route, frequency FROM medications WHERE patient_id = ? "
        "AND entered_in_error = 0 AND (stopped_on IS NULL OR stopped_on > date('now')) "
        "ORDER BY name",
        (patient_id,),
    ).fetchall()
    raw.audit(
        cur,
        action="view",
        entity="chart",
        entity_id=patient_id,
        patient_id=patient_id,
        detail="chart opened",
    )
    raw.commit()


_TIMELINE_QUERIES = (
    "SELECT e.id, e.occurred_at, e.encounter_type, e.reason, e.entered_in_error, u.full_name, "
    "n.status, s.full_name FROM encounters e JOIN users u ON u.id = e.provider_id "
    "LEFT JOIN notes n ON n.encounter_id = e.id LEFT JOIN users s ON s.id = n.signed_by "
    "WHERE e.patient_id = ? AND e.entered_in_error = 0",
    "SELECT n.encounter_id, a.signed_at, a.text, e.entered_in_error, u.full_name "
    "FROM addenda a JOIN notes n ON n.id = a.note_id JOIN encounters e ON e.id = n.encounter_id "
    "JOIN users u ON u.id = a.signed_by WHERE a.patient_id = ? AND e.entered_in_error = 0",
    "SELECT id, onset, created_at, icd10_code, description, status, resolved_on "
    "FROM problems WHERE patient_id = ? AND entered_in_error = 0",
    "SELECT id, created_at, substance, reaction, severity, status "
    "FROM allergies WHERE patient_id = ? AND entered_in_error = 0",
    "SELECT id, started_on, created_at, stopped_on, name, dose, frequency, reason, stop_reason "
    "FROM medications WHERE patient_id = ? AND entered_in_error = 0",
    "SELECT id, given_on, vaccine, dose, lot_number, historical, source, refused, "
    "refusal_reason FROM immunizations WHERE patient_id = ? AND entered_in_error = 0",
    "SELECT p.id, p.collected_at, p.name, p.performing_lab, r.n, r.abnormal FROM lab_panels p "
    "LEFT JOIN (SELECT panel_id, count(*) AS n, sum(flag NOT IN ('', 'N')) AS abnormal "
    "FROM observations WHERE patient_id = ? AND panel_id IS NOT NULL AND entered_in_error = 0 "
    "GROUP BY panel_id) r ON r.panel_id = p.id WHERE p.patient_id = ? AND p.entered_in_error = 0",
    "SELECT id, observed_at, name, value_num, value_text, unit, flag FROM observations "
    "WHERE patient_id = ? AND category = 'laboratory' AND panel_id IS NULL "
    "AND entered_in_error = 0",
    "SELECT id, document_date, title, category, file_name FROM documents "
    "WHERE patient_id = ? AND entered_in_error = 0",
    "SELECT id, requested_on, what, status, decision_reason, disagreement "
    "FROM amendment_requests WHERE patient_id = ?",
)
_VITALS_CUTOFF = (
    "SELECT min(observed_at) FROM (SELECT DISTINCT observed_at FROM observations "
    "WHERE patient_id = ? AND category = 'vital-signs' AND entered_in_error = 0 "
    "ORDER BY observed_at DESC LIMIT ?)"
)
_VITALS = (
    "SELECT id, group_id, observed_at, loinc_code, name, value_num, value_text, unit "
    "FROM observations WHERE patient_id = ? AND category = 'vital-signs' "
    "AND entered_in_error = 0 AND observed_at >= ? ORDER BY id"
)


def _raw_timeline(raw: RawConnection, patient_id: int) -> None:
    cur = raw.begin_write()
    cur.execute("SELECT id FROM patients WHERE id = ?", (patient_id,)).fetchone()
    for sql in _TIMELINE_QUERIES:
        cur.execute(sql, (patient_id,) * sql.count("?")).fetchall()
    cutoff = cur.execute(_VITALS_CUTOFF, (patient_id, TIMELINE_LIMIT)).fetchone()[0]
    cur.execute(_VITALS, (patient_id, cutoff or "")).fetchall()
    raw.audit(
        cur,
        action="view",
        entity="timeline",
        entity_id=None,
        patient_id=patient_id,
        detail="timeline",
    )
    raw.commit()


def _raw_series(raw: RawConnection, patient_id: int, loinc_code: str) -> None:
    cur = raw.begin_write()
    cur.execute("SELECT id FROM patients WHERE id = ?", (patient_id,)).fetchone()
    cur.execute(
        "SELECT observed_at, value_num FROM observations WHERE patient_id = ? "
        "AND loinc_code = ? AND entered_in_error = 0 AND value_num IS NOT NULL "
        "ORDER BY observed_at",
        (patient_id, loinc_code),
    ).fetchall()
    raw.audit(
        cur,
        action="view",
        entity="vitals",
        entity_id=None,
        patient_id=patient_id,
        detail="series",
    )
    raw.commit()


# (table, searched columns, the patient column's table alias prefix)
_SEARCHED = (
    (
        "notes n JOIN encounters e ON e.id = n.encounter_id",
        "n.patient_id",
        ("e.reason", "n.subjective", "n.objective", "n.assessment", "n.plan"),
    ),
    ("addenda", "patient_id", ("text",)),
    ("problems", "patient_id", ("icd10_code", "description", "notes")),
    ("medications", "patient_id", ("name", "reason", "instructions", "stop_reason")),
    ("allergies", "patient_id", ("substance", "reaction", "notes")),
    ("immunizations", "patient_id", ("vaccine", "manufacturer", "lot_number", "refusal_reason")),
    ("observations", "patient_id", ("name", "loinc_code", "value_text")),
    ("lab_panels", "patient_id", ("name", "loinc_code", "performing_lab", "notes")),
    ("documents", "patient_id", ("title", "file_name")),
    (
        "history_entries",
        "patient_id",
        ("description", "icd10_code", "relative", "category", "when_text", "notes"),
    ),
)


def _raw_search(raw: RawConnection, patient_id: int, query: str) -> None:
    pattern = f"%{query}%"
    cur = raw.begin_write()
    cur.execute("SELECT id FROM patients WHERE id = ?", (patient_id,)).fetchone()
    for table, patient_column, columns in _SEARCHED:
        likes = " OR ".join(f"{c} LIKE ?" for c in columns)
        cur.execute(
            f"SELECT {', '.join(columns)} FROM {table} WHERE {patient_column} = ? AND ({likes})",
            (patient_id, *[pattern] * len(columns)),
        ).fetchall()
    raw.audit(
        cur,
        action="view",
        entity="chart_search",
        entity_id=None,
        patient_id=patient_id,
        detail=f"search: {query}",
    )
    raw.commit()


def _raw_encounters(raw: RawConnection, patient_id: int) -> None:
    cur = raw.begin_write()
    cur.execute("SELECT id FROM patients WHERE id = ?", (patient_id,)).fetchone()
    cur.execute(
        "SELECT e.id, e.version, e.occurred_at, e.encounter_type, u.full_name, e.reason, n.id, "
        "n.status, e.entered_in_error, e.error_reason FROM encounters e "
        "JOIN users u ON u.id = e.provider_id JOIN notes n ON n.encounter_id = e.id "
        "WHERE e.patient_id = ? AND e.entered_in_error IS NOT 1 "
        "ORDER BY e.occurred_at DESC, e.id DESC",
        (patient_id,),
    ).fetchall()
    raw.audit(
        cur,
        action="view",
        entity="encounter",
        entity_id=None,
        patient_id=patient_id,
        detail="list",
    )
    raw.commit()
