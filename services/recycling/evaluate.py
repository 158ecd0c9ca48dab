"""Evaluating the matcher against labelled hints: the accuracy of the major and of the
middle category it would answer, and the hints it gets wrong. Pure; the caller reads the
case file (JSON lines of {"text", "major", "middle"}) and prints `format_report`.

A hint the dictionary names no item in is answered 미분류, as the offline provider does, so
a case may also expect 미분류 for a hint that names nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from contracts.scan import taxonomy
from services.recycling.errors import CasesError
from services.recycling.matcher import Match, Matcher


class Case(BaseModel):
    """A hint as a person types it and the category it should get."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    text: str
    major: str
    middle: str

    @field_validator("text")
    @classmethod
    def _not_blank(cls, text: str) -> str:
        if not text.strip():
            raise ValueError("text is blank")
        return text

    @model_validator(mode="after")
    def _in_taxonomy(self) -> Case:
        if not taxonomy.is_valid(self.major, self.middle):
            raise ValueError(f"({self.major}, {self.middle}) is not a taxonomy category")
        return self


class Miss(BaseModel):
    model_config = ConfigDict(frozen=True)

    case: Case
    major: str
    middle: str
    term: str | None  # the dictionary name the answer came from; None when nothing matched


class Report(BaseModel):
    model_config = ConfigDict(frozen=True)

    total: int
    major_correct: int
    middle_correct: int
    misses: tuple[Miss, ...]

    @property
    def major_accuracy(self) -> float:
        return self.major_correct / self.total if self.total else 0.0

    @property
    def middle_accuracy(self) -> float:
        return self.middle_correct / self.total if self.total else 0.0


def parse_cases(text: str) -> tuple[Case, ...]:
    """The cases of a JSON-lines file's content; blank lines are skipped. CasesError names
    the first bad line."""
    cases = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            cases.append(Case.model_validate(json.loads(line)))
        except (json.JSONDecodeError, ValidationError) as exc:
            raise CasesError(f"line {number}: {_reason(exc)}") from None
    if not cases:
        raise CasesError("no cases: the file has no non-blank lines")
    return tuple(cases)


def classify(matcher: Matcher, text: str) -> tuple[str, str, Match | None]:
    """(major, middle) the matcher answers for `text`, and the match it came from."""
    found = matcher.best(text)
    if found is None:
        return taxonomy.UNCLASSIFIED, taxonomy.UNCLASSIFIED, None
    return found.item.major, found.item.middle, found


def evaluate(matcher: Matcher, cases: Iterable[Case]) -> Report:
    total = major_correct = middle_correct = 0
    misses = []
    for case in cases:
        major, middle, found = classify(matcher, case.text)
        total += 1
        major_correct += major == case.major
        if (major, middle) == (case.major, case.middle):
            middle_correct += 1
        else:
            term = found.term if found else None
            misses.append(Miss(case=case, major=major, middle=middle, term=term))
    return Report(
        total=total,
        major_correct=major_correct,
        middle_correct=middle_correct,
        misses=tuple(misses),
    )


def format_report(report: Report) -> str:
    """The figures, then one line per miss: the hint, what was expected, what came back."""
    lines = [
        f"cases: {report.total}",
        f"major accuracy:  {report.major_accuracy:.1%} ({report.major_correct}/{report.total})",
        f"middle accuracy: {report.middle_accuracy:.1%} ({report.middle_correct}/{report.total})",
    ]
    if report.misses:
        lines.append(f"misses ({len(report.misses)}):")
    for miss in report.misses:
        via = f" via {miss.term!r}" if miss.term else " (no item matched)"
        lines.append(
            f"  {miss.case.text!r}: expected {miss.case.major}/{miss.case.middle}, "
            f"got {miss.major}/{miss.middle}{via}"
        )
    return "\n".join(lines)


def _reason(exc: json.JSONDecodeError | ValidationError) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"not JSON ({exc.msg})"
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'case'}: {e['msg']}" for e in exc.errors()
    )
