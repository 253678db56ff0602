"""What every demo generator receives."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from emr.db import Database
from emr.services.context import Actor

# progress(area, done, total): called now and then while an area generates.
Progress = Callable[[str, int, int], None]


@dataclass
class DemoContext:
    db: Database
    rng: random.Random
    seed: int
    patients: int
    today: date
    operator: Actor
    progress: Progress | None = None
    # How many appointments to make (None: the natural six months around today).
    appointments: int | None = None
    # What areas produced, for the areas after them (e.g. "patient_ids": list[int]).
    produced: dict[str, object] = field(default_factory=dict)

    def report(self, area: str, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(area, done, total)
