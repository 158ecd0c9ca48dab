"""The evaluation: parsing labelled hints, the accuracy figures, and the held-out target."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from services.recycling.dictionary import load_dictionary
from services.recycling.errors import CasesError
from services.recycling.evaluate import Case, evaluate, format_report, parse_cases
from services.recycling.matcher import Matcher

CASES = Path(__file__).resolve().parents[4] / "tests" / "data" / "knowledge"
TARGET = 0.95


@cache
def matcher() -> Matcher:
    return Matcher(load_dictionary())


def cases(name: str) -> tuple[Case, ...]:
    return parse_cases((CASES / name).read_text("utf-8"))


@pytest.mark.parametrize("name", ["heldout.jsonl", "heldout-2.jsonl"])
def test_held_out_accuracy_meets_the_target(name: str) -> None:
    held_out = cases(name)
    assert len(held_out) >= 100
    report = evaluate(matcher(), held_out)
    assert report.middle_accuracy >= TARGET, format_report(report)
    assert report.major_accuracy >= TARGET, format_report(report)


def test_held_out_cases_cover_every_category_and_both_languages() -> None:
    held_out = cases("heldout.jsonl")
    assert len({(c.major, c.middle) for c in held_out}) == 12 + 7
    assert any(c.text.isascii() for c in held_out)
    assert any(not c.text.isascii() for c in held_out)


def test_the_tuning_set_is_all_right() -> None:
    report = evaluate(matcher(), cases("tuning.jsonl"))
    assert report.misses == (), format_report(report)


def test_the_report_counts_and_lists_misses() -> None:
    text = "\n".join(
        [
            '{"text": "치킨뼈", "major": "일반종량제폐기물", "middle": "일반종량제폐기물"}',
            "",
            '{"text": "치킨뼈", "major": "음식물류폐기물", "middle": "음식물류폐기물"}',
            '{"text": "우주선 부품", "major": "재활용폐기물", "middle": "금속류"}',
            '{"text": "생수병", "major": "재활용폐기물", "middle": "플라스틱류"}',
        ]
    )
    report = evaluate(matcher(), parse_cases(text))
    assert (report.total, report.major_correct, report.middle_correct) == (4, 2, 1)
    assert report.middle_accuracy == 0.25
    assert [(m.case.text, m.middle, m.term) for m in report.misses] == [
        ("치킨뼈", "일반종량제폐기물", "치킨뼈"),
        ("우주선 부품", "미분류", None),
        ("생수병", "무색페트병", "생수병"),
    ]
    lines = format_report(report).splitlines()
    assert lines[:3] == [
        "cases: 4",
        "major accuracy:  50.0% (2/4)",
        "middle accuracy: 25.0% (1/4)",
    ]
    assert "(no item matched)" in lines[-2]
    assert "via '생수병'" in lines[-1]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("", "no cases", id="empty"),
        pytest.param("not json", "line 1: not JSON", id="not-json"),
        pytest.param(
            '{"text": "x", "major": "재활용폐기물"}', "line 1: middle: Field required", id="field"
        ),
        pytest.param(
            '{"text": "x", "major": "재활용폐기물", "middle": "우주"}',
            "not a taxonomy category",
            id="category",
        ),
        pytest.param(
            '\n{"text": " ", "major": "미분류", "middle": "미분류"}',
            "line 2: text: .*blank",
            id="blank-text",
        ),
        pytest.param(
            '{"text": "x", "major": "미분류", "middle": "미분류", "n": 1}',
            "line 1: n: Extra",
            id="extra-field",
        ),
    ],
)
def test_a_bad_case_file_names_the_line(text: str, message: str) -> None:
    with pytest.raises(CasesError, match=message):
        parse_cases(text)
