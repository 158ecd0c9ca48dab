"""The 13 collectible characters, as data: 이코 first, then one per recyclable middle category.

This tuple is the source of truth. The service upserts it into `character.characters` at
start (`Store.seed`), so ownership rows can reference a code, and answers
`character.catalog` from it directly. Codes are stable identifiers and are never reused;
names, type labels and dialog may be edited here and are updated on the next start.
"""

from __future__ import annotations

from contracts.character.v1 import Character

DEFAULT_CODE = "eco"

CATALOG: tuple[Character, ...] = (
    Character(
        code=DEFAULT_CODE,
        name="이코",
        type="지구 지킴이",
        dialog="안녕, 나는 이코야! 오늘도 같이 올바르게 분리배출해 볼까?",
    ),
    Character(
        code="peti",
        name="페티",
        type="페트병 요정",
        dialog="라벨은 떼고 속은 비워서, 납작하게 눌러 뚜껑을 닫아줘!",
        middle="무색페트병",
    ),
    Character(
        code="metali",
        name="메탈리",
        type="캔 요정",
        dialog="캔은 속을 비우고 헹군 다음, 찌그러뜨려서 내놔줘!",
        middle="금속류",
    ),
    Character(
        code="paepy",
        name="페이피",
        type="종이 요정",
        dialog="테이프와 스테이플러 심은 떼고, 젖지 않게 묶어서 내놔줘!",
        middle="종이",
    ),
    Character(
        code="pli",
        name="플리",
        type="플라스틱 요정",
        dialog="내용물은 비우고 헹군 뒤, 다른 재질 부분은 떼어서 버려줘!",
        middle="플라스틱류",
    ),
    Character(
        code="vini",
        name="비니",
        type="비닐 요정",
        dialog="이물질은 헹궈내고, 흩날리지 않게 한 봉투에 모아줘!",
        middle="비닐류",
    ),
    Character(
        code="pomi",
        name="폼이",
        type="스티로폼 요정",
        dialog="테이프와 송장은 떼고, 깨끗한 흰 스티로폼만 모아줘!",
        middle="발포합성수지",
    ),
    Character(
        code="glassy",
        name="글래시",
        type="유리병 요정",
        dialog="뚜껑은 따로 빼고, 병은 비워서 깨지지 않게 내놔줘!",
        middle="유리병",
    ),
    Character(
        code="packtory",
        name="팩토리",
        type="종이팩 요정",
        dialog="우유팩은 헹구고 펼쳐 말린 뒤, 일반 종이와 따로 모아줘!",
        middle="종이팩",
    ),
    Character(
        code="barry",
        name="배리",
        type="건전지 요정",
        dialog="다 쓴 건전지는 일반 쓰레기 말고 전용 수거함에 넣어줘!",
        middle="전지",
    ),
    Character(
        code="lighty",
        name="라이티",
        type="형광등 요정",
        dialog="형광등은 깨지지 않게 그대로 전용 수거함에 넣어줘!",
        middle="조명제품",
    ),
    Character(
        code="cotton",
        name="코튼",
        type="옷감 요정",
        dialog="입을 수 있는 옷은 깨끗이 개어서 의류수거함에 넣어줘!",
        middle="의류및원단",
    ),
    Character(
        code="elec",
        name="일렉",
        type="가전 요정",
        dialog="작은 가전은 수거함에, 큰 가전은 무상 방문수거를 신청해줘!",
        middle="전기전자제품",
    ),
)
