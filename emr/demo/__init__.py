"""Synthetic demonstration data: `emr-admin demo` and `make run`.

`generate` runs the generator of each area in DEMO_AREAS, in order; each is a module with
`generate(ctx: DemoContext) -> dict[str, int]` (what it made, by kind). The data are the same for
the same seed (on the same day: ages are relative to today).
"""

from __future__ import annotations

import importlib
import random
from datetime import date

from emr.db import Database, set_sequences_past_ids
from emr.demo.context import DemoContext, Progress
from emr.services.context import Actor

DEMO_AREAS: list[str] = [
    "emr.demo.patients",
    "emr.demo.scheduling",
    "emr.demo.chart",
    "emr.demo.prescribing",
]


def generate(
    db: Database,
    *,
    patients: int,
    seed: int = 1,
    progress: Progress | None = None,
    today: date | None = None,
    appointments: int | None = None,
) -> dict[str, int]:
    """Fill the database with `patients` synthetic patients and each area's data around them.
    `appointments`: about how many appointments (None: six months around today)."""
    from emr.errors import ValidationError

    if patients < 0:
        raise ValidationError({"patients": "The number of patients cannot be negative."})
    if appointments is not None and appointments < 0:
        raise ValidationError({"appointments": "The number of appointments cannot be negative."})
    ctx = DemoContext(
        db=db,
        rng=random.Random(seed),
        seed=seed,
        patients=patients,
        today=today or date.today(),
        operator=Actor.operator(db, "demo"),
        progress=progress,
        appointments=appointments,
    )
    counts: dict[str, int] = {}
    for name in DEMO_AREAS:
        area = importlib.import_module(name)
        # Each area draws from its own generator, so adding an area never changes the others.
        ctx.rng = random.Random(f"{seed}:{name}")
        for kind, n in area.generate(ctx).items():
            counts[kind] = counts.get(kind, 0) + n
        with db.write() as s:  # PostgreSQL: ids after the ones the area wrote itself
            set_sequences_past_ids(s.connection())
    return counts
