"""Fault points: parsed strictly, and a hit says which point killed the process."""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest

from journal.faults import Faults


def test_a_spec_names_known_points_with_rates_between_0_and_1() -> None:
    assert Faults.parse("after_begin=0.5, after_publish").rates == {
        "after_begin": 0.5,
        "after_publish": 1.0,
    }
    for bad, reason in (
        ("before_lunch=0.1", "unknown fault point"),
        ("after_begin=often", "must be a number"),
        ("after_begin=2", "within 0..1"),
    ):
        with pytest.raises(ValueError, match=reason):
            Faults.parse(bad)


def test_a_hit_writes_its_point_and_kills_the_process() -> None:
    code = (
        "from journal.faults import Faults; Faults.parse('after_complete=1').hit('after_complete')"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60)
    assert done.returncode == -signal.SIGKILL
    assert done.stderr.decode().startswith("eco2 fault point after_complete: SIGKILL pid ")


def test_an_unlisted_point_never_fires() -> None:
    Faults.parse("after_begin=1").hit("after_publish")  # still alive
