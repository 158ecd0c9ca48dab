"""Accepted items and categories from the sources' words: every real item line."""

from __future__ import annotations

import pytest

from services.places.model import AcceptedItem as A
from services.places.model import StoreCategory as C
from services.places.vocabulary import accepted_items, item_code, item_lines, rule, store_category

# Every distinct item line of the KECO file's `clctItemCn`, verbatim.
REAL_LINES: list[tuple[str, A | None]] = [
    ("투명페트병", A.CLEAR_PET),
    ("투명패트병", A.CLEAR_PET),
    ("투명페트명", A.CLEAR_PET),
    ("투명pet", A.CLEAR_PET),
    ("투명PET", A.CLEAR_PET),
    ("무색페트병", A.CLEAR_PET),
    ("무색페트병(투명페트병)", A.CLEAR_PET),
    ("무색페트병(투명페트병", A.CLEAR_PET),
    ("유색페트병", A.COLORED_PET),
    ("유색 PET", A.COLORED_PET),
    ("유색PET", A.COLORED_PET),
    ("유색페트", A.COLORED_PET),
    ("유색혼합PET", A.COLORED_PET),
    ("PET(유색)", A.COLORED_PET),
    ("판PET", A.PLASTIC),
    ("판페트", A.PLASTIC),
    ("PET", A.PLASTIC),
    ("other", A.PLASTIC),
    ("OTHER", A.PLASTIC),
    ("PE", A.PLASTIC),
    ("PP", A.PLASTIC),
    ("PS", A.PLASTIC),
    ("플라스틱", A.PLASTIC),
    ("플라스틱(PE)", A.PLASTIC),
    ("플라스틱(PP)", A.PLASTIC),
    ("PP(플라스틱)", A.PLASTIC),
    ("PP(햇반용기)", A.PLASTIC),
    ("햇반용기(PP)", A.PLASTIC),
    ("즉석밥용기", A.PLASTIC),
    ("즉석밥용기류", A.PLASTIC),
    ("즉석밥용기 PP", A.PLASTIC),
    ("PE, PS, others", A.PLASTIC),
    ("기타플라스틱류(OTHER, PE, PS, 판PET)", A.PLASTIC),
    ("블럭류플라스틱", A.PLASTIC),
    ("블럭류장난감", A.PLASTIC),
    ("블럭류 장난감", A.PLASTIC),
    ("장난감류(블럭류)", A.PLASTIC),
    ("빨대", A.PLASTIC),
    ("비닐", A.PLASTIC),
    ("PE비닐", A.PLASTIC),
    ("캔", A.CAN),
    ("알루미늄", A.CAN),
    ("알루미늄 캔", A.CAN),
    ("알루미늄캔", A.CAN),
    ("철", A.CAN),
    ("철캔", A.CAN),
    ("철 캔", A.CAN),
    ("고철", A.CAN),
    ("종이박스", A.PAPER),
    ("종이팩", A.PAPER),
    ("종이팩(멸균팩포함)", A.PAPER),
    ("종이팩(멸균,살균)", A.PAPER),
    ("우유팩", A.PAPER),
    ("서적", A.PAPER),
    ("서적 및 신문지류", A.PAPER),
    ("신문", A.PAPER),
    ("신문지", A.PAPER),
    ("일반종이", A.PAPER),
    ("일반 종이류", A.PAPER),
    ("종이류", A.PAPER),
    ("의류", A.TEXTILE),
    ("의류 외", A.TEXTILE),
    ("외류 외(가방, 신발)", A.TEXTILE),
    ("헌옷", A.TEXTILE),
    ("투명, 갈색,녹색병", A.GLASS),
    ("소주병", A.GLASS),
    ("맥주병", A.GLASS),
    ("기타병", A.GLASS),
    ("장난감", None),
    ("폐건전지", None),
    ("(폐건전지 교환) 폐건전지 20개<->새건전지 2개", None),
]


@pytest.mark.parametrize(("line", "code"), REAL_LINES)
def test_every_real_item_line(line: str, code: A | None) -> None:
    assert item_code(line) == code


def test_item_lines_drop_headings_blanks_and_repeats() -> None:
    cell = (
        "(플라스틱류(뚜껑 포함))\n투명PET\n \n(캔류((음료))\n알루미늄 캔\n투명PET\n(중고의류)\n의류"
    )
    assert item_lines(cell) == ("투명PET", "알루미늄 캔", "의류")


def test_accepted_items_are_in_vocabulary_order_once() -> None:
    assert accepted_items(["철 캔", "투명페트병", "알루미늄 캔", "장난감"]) == (A.CLEAR_PET, A.CAN)


def test_free_text_counts_only_explicit_material_words() -> None:
    assert accepted_items([], ["투명페트병 무인회수기"]) == (A.CLEAR_PET,)
    assert accepted_items([], ["종이팩, 병뚜껑 모아요"]) == (A.PAPER, A.PLASTIC)
    assert accepted_items([], ["오후공책", "독립책방 샵앤샵", "옷가게"]) == ()


def test_store_category_takes_the_first_matching_rule() -> None:
    rules = (rule(C.LODGING, r"숙소"), rule(C.BOOK_WORKSHOP, r"책방"))
    assert (
        store_category(["잣숲의향기", "제로웨이스트 지향 숙소"], rules, C.REFILL_ZERO) == C.LODGING
    )
    assert store_category(["숙소 안 책방"], rules, C.REFILL_ZERO) == C.LODGING
    assert store_category(["오후공책", "독립 책방"], rules, C.REFILL_ZERO) == C.BOOK_WORKSHOP
    assert store_category(["프릿지", ""], rules, C.REFILL_ZERO) == C.REFILL_ZERO
