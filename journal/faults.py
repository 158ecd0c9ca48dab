"""Crash points for the chaos suite: the process kills itself at a named point, by chance.

Switched on by `ECO2_FAULTS`, e.g. `after_begin=0.01,after_publish=0.02`; off by default.
"""

from __future__ import annotations

import os
import random
import signal
from collections.abc import Mapping
from dataclasses import dataclass, field

POINTS = (
    "after_begin",  # journaled, nothing done
    "after_checkpoint",  # a step's output saved
    "after_complete",  # outcome stored, not published
    "after_publish",  # outcome published, message not acked
    "after_sync_commit",  # PostgreSQL has the batch, the journal does not know yet
)


@dataclass(frozen=True)
class Faults:
    rates: Mapping[str, float] = field(default_factory=dict)

    @classmethod
    def parse(cls, spec: str) -> Faults:
        rates: dict[str, float] = {}
        for part in filter(None, (p.strip() for p in spec.split(","))):
            name, _, value = part.partition("=")
            if name not in POINTS:
                raise ValueError(f"unknown fault point {name!r}; known: {', '.join(POINTS)}")
            try:
                rate = float(value or "1")
            except ValueError:
                raise ValueError(f"fault rate of {name} must be a number, got {value!r}") from None
            if not 0 <= rate <= 1:
                raise ValueError(f"fault rate of {name} must be within 0..1")
            rates[name] = rate
        return cls(rates)

    def hit(self, point: str) -> None:
        rate = self.rates.get(point)
        if rate and random.random() < rate:
            # Straight to fd 2, unbuffered: the chaos suite counts its deaths by point.
            os.write(2, f"eco2 fault point {point}: SIGKILL pid {os.getpid()}\n".encode())
            os.kill(os.getpid(), signal.SIGKILL)


NO_FAULTS = Faults()
