"""Where an item of a waste category can be taken: the accepted-item codes of its category.

One rule, shared: the gateway names these codes in a scan's result (`disposal.drop_off`)
and the places service filters `places.for_scan` by them. A category that no collection
point of the vocabulary takes (food waste, batteries, bulky waste…) has none.
"""

from __future__ import annotations

from contracts.places.v1 import Item

# (major, middle) -> codes; majors without middles are keyed (major, major).
_RECYCLABLES = "재활용폐기물"
DROP_OFF: dict[tuple[str, str], tuple[Item, ...]] = {
    (_RECYCLABLES, "종이"): ("paper",),
    (_RECYCLABLES, "종이팩"): ("paper",),
    (_RECYCLABLES, "무색페트병"): ("clear_pet",),
    # Coloured PET bottles are sorted with the plastics in Korea.
    (_RECYCLABLES, "플라스틱류"): ("colored_pet", "plastic"),
    (_RECYCLABLES, "비닐류"): ("plastic",),
    (_RECYCLABLES, "발포합성수지"): ("plastic",),
    (_RECYCLABLES, "유리병"): ("glass",),
    (_RECYCLABLES, "금속류"): ("can",),
    (_RECYCLABLES, "의류및원단"): ("textile",),
    (_RECYCLABLES, "전기전자제품"): ("electronics",),
}


def drop_off(major: str, middle: str | None) -> tuple[Item, ...]:
    """The accepted-item codes of (major, middle), in vocabulary order; () for none."""
    return DROP_OFF.get((major, middle or major), ())
