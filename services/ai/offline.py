"""The offline provider: no network, deterministic. The item is the most specific one the
hint names in the recycling service's dictionary (`recycling.match`, asked by the pipeline),
its category the dictionary's; a hint naming no item the dictionary knows is 미분류.
Situation tags come from phrases in the hint; answers come from the templates in
`answers`, with the item's notes."""

from __future__ import annotations

import re
from collections.abc import Sequence

from contracts.recycling.v1 import DisposalRules, Item
from contracts.scan import taxonomy
from contracts.scan.v1 import Classification, Insufficiency
from services.ai import answers
from services.ai.provider import Photo

_REMOVED = r"(뗀|떼어낸|뗐|제거한|제거된|없는|벗긴|열린|removed|off|peeled|without|opened)"
# tag -> (pattern meaning the condition holds, pattern meaning it was dealt with)
TAGS: dict[str, tuple[str, str]] = {
    "label_attached": (
        r"(라벨|상표|label)",
        rf"(라벨|상표|label)\S*\s*\S*\s*{_REMOVED}|{_REMOVED}\s*(라벨|label)",
    ),
    "cap_on": (
        r"(뚜껑|캡|cap|lid)",
        rf"(뚜껑|캡|cap|lid)\S*\s*\S*\s*{_REMOVED}|{_REMOVED}\s*(뚜껑|cap|lid)",
    ),
    "food_residue": (
        r"(음식물?\s*묻|기름\s*묻|더러운|소스|food residue|dirty|greasy)",
        r"(씻은|헹군|rinsed|washed|clean)",
    ),
    "contains_liquid": (r"(내용물|액체|물이 남|liquid|half full)", r"(비운|비워진|empty|emptied)"),
    "damaged": (r"(깨진|부서진|찢어진|broken|cracked|torn)", r"$^"),
    "tape_attached": (r"(테이프|tape)", rf"(테이프|tape)\S*\s*\S*\s*{_REMOVED}"),
}
_STILL = r"(그대로|붙은|붙어|still on|attached|on it)"


class OfflineProvider:
    @property
    def model(self) -> str:
        return "offline"

    async def classify(self, hint: str, photo: Photo, named: Sequence[Item]) -> Classification:
        return classify_text(hint, named)

    async def answer(
        self,
        classification: Classification,
        rules: DisposalRules | None,
        insufficiencies: Sequence[Insufficiency],
        item: Item | None,
    ) -> str:
        return answers.compose(classification, rules, insufficiencies, item)


def classify_text(hint: str, named: Sequence[Item]) -> Classification:
    """The first (most specific) named item's category, with the hint's situation tags."""
    text = hint.lower()
    major, middle, minor = taxonomy.UNCLASSIFIED, taxonomy.UNCLASSIFIED, None
    if named:
        major, middle, minor = named[0].major, named[0].middle, named[0].ko
    tags = []
    for tag, (present, handled) in TAGS.items():
        if re.search(present, text) and (re.search(_STILL, text) or not re.search(handled, text)):
            tags.append(tag)
    return Classification(major=major, middle=middle, minor=minor, situation_tags=tuple(tags))
