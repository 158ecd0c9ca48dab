"""Template answers in the voice of 이코 (Korean, 3–5 plain sentences): what the offline
provider writes, and what the pipeline falls back to when a model's answer is unusable."""

from __future__ import annotations

import re
from collections.abc import Sequence

from contracts.recycling.v1 import DisposalRules
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
) -> str:
    """A friendly answer: what it is, what to fix (only what applies), how to dispose of it."""
    steps = domain.disposal(classification, rules).steps
    sentences = [_intro(classification)]
    if insufficiencies:
        first, *rest = insufficiencies
        sentences.append("다만 " + _sentence(first.message))
        if rest:
            names = ", ".join(TAG_NAMES.get(i.tag, i.tag) for i in rest)
            sentences.append(f"{names}도 함께 정리해 주세요.")
        sentences.append(_sentence(steps[0]))
        if _count(sentences) < 5:
            sentences.append("고친 뒤 다시 찍어 주면 이코가 한 번 더 확인해 줄게요!")
    else:
        sentences.extend(_sentence(step) for step in steps[:2])
        if classification.middle == taxonomy.UNCLASSIFIED:
            sentences.append("궁금한 점은 언제든 이코에게 물어봐 주세요!")
        else:
            sentences.append("이대로 배출하면 완벽해요, 오늘도 지구를 지켜 줘서 고마워요!")
    return " ".join(sentences)
