"""The offline provider: no network, deterministic. It reads the person's hint and matches
item keywords against the taxonomy; situation tags come from phrases in the hint; answers
come from the templates in `answers`."""

from __future__ import annotations

import re
from collections.abc import Sequence

from contracts.recycling.v1 import DisposalRules
from contracts.scan import taxonomy
from contracts.scan.v1 import Classification, Insufficiency
from services.ai import answers
from services.ai.provider import Photo

R = taxonomy.RECYCLABLES

# (keywords, major, middle, minor); the first entry with a keyword in the hint wins, so
# specific items come before general materials.
ITEMS: tuple[tuple[tuple[str, ...], str, str, str], ...] = (
    (
        ("가구", "책상", "의자", "소파", "매트리스", "furniture", "desk", "sofa", "mattress"),
        "대형폐기물",
        "대형폐기물",
        "가구",
    ),
    (("건전지", "배터리", "battery", "batteries"), R, "전지", "건전지"),
    (("형광등", "전구", "lamp", "bulb"), R, "조명제품", "형광등"),
    (("휴대폰", "노트북", "충전기", "phone", "laptop", "charger"), R, "전기전자제품", "소형가전"),
    (("우유팩", "종이팩", "멸균팩", "carton"), R, "종이팩", "우유팩"),
    (
        ("투명 페트", "투명페트", "무색 페트", "무색페트", "생수병", "clear pet", "water bottle"),
        R,
        "무색페트병",
        "투명 페트병",
    ),
    (("페트병", "pet bottle"), R, "플라스틱류", "유색 페트병"),
    (("스티로폼", "styrofoam", "eps"), R, "발포합성수지", "스티로폼 완충재"),
    (("비닐", "봉지", "plastic bag", "film", "wrap"), R, "비닐류", "비닐봉지"),
    (("유리병", "소주병", "맥주병", "glass bottle", "jar"), R, "유리병", "유리병"),
    (("캔", "알루미늄", "고철", "can", "aluminium", "aluminum", "tin"), R, "금속류", "캔"),
    (("옷", "의류", "원단", "clothes", "shirt", "textile"), R, "의류및원단", "의류"),
    (("신문", "상자", "종이", "책", "paper", "cardboard", "box", "newspaper"), R, "종이", "종이류"),
    (("플라스틱", "용기", "plastic", "container"), R, "플라스틱류", "플라스틱 용기"),
    (("음식물", "음식", "과일", "food", "leftover"), "음식물류폐기물", "음식물류폐기물", "음식물"),
    (
        ("깨진 유리", "도자기", "ceramic", "broken glass"),
        "불연성종량제폐기물",
        "불연성종량제폐기물",
        "도자기",
    ),
    (("타일", "벽돌", "tile", "brick"), "공사장생활폐기물", "공사장생활폐기물", "타일"),
    (
        ("의약품", "알약", "약통", "페인트", "medicine", "pills", "paint", "pesticide"),
        "생활계유해폐기물",
        "생활계유해폐기물",
        "폐의약품",
    ),
    (("휴지", "기저귀", "tissue", "diaper"), "일반종량제폐기물", "일반종량제폐기물", "휴지"),
)

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

    async def classify(self, hint: str, photo: Photo) -> Classification:
        return classify_text(hint)

    async def answer(
        self,
        classification: Classification,
        rules: DisposalRules | None,
        insufficiencies: Sequence[Insufficiency],
    ) -> str:
        return answers.compose(classification, rules, insufficiencies)


def _mentions(text: str, keyword: str) -> bool:
    if keyword.isascii():  # whole words only: "can" must not match "scan"
        return re.search(rf"\b{re.escape(keyword)}\b", text) is not None
    return keyword in text


def classify_text(hint: str) -> Classification:
    text = hint.lower()
    major, middle, minor = taxonomy.UNCLASSIFIED, taxonomy.UNCLASSIFIED, None
    for keywords, item_major, item_middle, item_minor in ITEMS:
        if any(_mentions(text, k) for k in keywords):
            major, middle, minor = item_major, item_middle, item_minor
            break
    tags = []
    for tag, (present, handled) in TAGS.items():
        if re.search(present, text) and (re.search(_STILL, text) or not re.search(handled, text)):
            tags.append(tag)
    return Classification(major=major, middle=middle, minor=minor, situation_tags=tuple(tags))
