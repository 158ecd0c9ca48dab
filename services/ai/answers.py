"""Template answers in the voice of 이코 (Korean, 3–5 plain sentences): what the offline
provider writes, and what the pipeline falls back to when a model's answer is unusable.
The dictionary item's notes come right after what it is: they are what the category's
general steps do not say (a butane can: pierce it first)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from contracts.recycling.v1 import DisposalRules, Item
from contracts.scan import taxonomy
from contracts.scan.v1 import Classification, Insufficiency
from services.ai import domain

# Short names of the fixable conditions, for a sentence that lists the remaining ones.
TAG_NAMES: dict[str, str] = {
    "contaminated": "오염",
    "food_residue": "음식물 자국",
    "oil_residue": "기름기",
    "label_attached": "라벨",
    "cap_on": "뚜껑",
    "tape_attached": "테이프",
    "mixed_material": "섞인 재질",
    "coated": "코팅",
    "damaged": "파손",
    "contains_liquid": "남은 내용물",
    "hazardous_part": "위험한 부품",
}


_MAX_SENTENCES = 5


def _sentence(text: str) -> str:
    text = text.strip()
    return text if re.search(r"[.!?]$", text) else text + "."


def _count(parts: Sequence[str]) -> int:
    return sum(len(re.findall(r"[.!?](?:\s|$)", part)) for part in parts)


def _intro(classification: Classification) -> str:
    if classification.middle == taxonomy.UNCLASSIFIED:
        return "이코가 사진 속 물건을 정확히 알아보지 못했어요."
    minor, middle = classification.minor, classification.middle
    item = f"{minor}, {middle}" if minor and minor != middle else middle
    return f"이코가 살펴보니 이건 {item} 분류예요!"


def compose(
    classification: Classification,
    rules: DisposalRules | None,
    insufficiencies: Sequence[Insufficiency],
    item: Item | None = None,
) -> str:
    """A friendly answer: what it is, what the item's notes say, what to fix (only what
    applies), how to dispose of it. At most five sentences: when they do not all fit, the
    parts that matter most stay (what it is, the first thing to fix, the notes), in the
    order they read."""
    steps = domain.disposal(classification, rules).steps
    unclassified = classification.middle == taxonomy.UNCLASSIFIED
    parts: list[tuple[int, str]] = [(0, _intro(classification))]  # (priority, text)
    if item is not None and item.notes and not unclassified:
        parts.append((2, _sentence(item.notes)))
    if insufficiencies:
        first, *rest = insufficiencies
        parts.append((1, "다만 " + _sentence(first.message)))
        if rest:
            names = ", ".join(TAG_NAMES.get(i.tag, i.tag) for i in rest)
            parts.append((3, f"{names}도 함께 정리해 주세요."))
        parts.append((4, _sentence(steps[0])))
        parts.append((6, "고친 뒤 다시 찍어 주면 이코가 한 번 더 확인해 줄게요!"))
    else:
        parts += [(4 + n, _sentence(step)) for n, step in enumerate(steps[:2])]
        closing = (
            "궁금한 점은 언제든 이코에게 물어봐 주세요!"
            if unclassified
            else "이대로 배출하면 완벽해요, 오늘도 지구를 지켜 줘서 고마워요!"
        )
        parts.append((6, closing))
    kept: set[int] = set()
    for index in sorted(range(len(parts)), key=lambda n: parts[n][0]):
        if _count([parts[n][1] for n in (*kept, index)]) <= _MAX_SENTENCES:
            kept.add(index)
    return " ".join(parts[n][1] for n in sorted(kept))
