"""What the `openai` adapter sends: the classification's JSON Schema (from the taxonomy the
`Classification` contract validates against), the system prompts and the user messages.

The recycling service's dictionary entries go along as facts: the items the hint names to
the vision call, the item that agrees with the classification (with its notes) to the
answer call, so the model and the offline provider agree on where a thing goes."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from typing import Any

from openai.types.chat import ChatCompletionMessageParam

from contracts.recycling.v1 import DisposalRules, Item
from contracts.scan import taxonomy
from contracts.scan.v1 import Classification, Insufficiency

MIDDLES = sorted({middle for major in taxonomy.CATEGORIES for middle in taxonomy.middles(major)})

# Strict structured output: every property required, nothing else allowed.
CLASSIFICATION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "major": {"type": "string", "enum": list(taxonomy.CATEGORIES)},
        "middle": {"type": "string", "enum": MIDDLES},
        "minor": {"type": ["string", "null"]},
        "situation_tags": {
            "type": "array",
            "items": {"type": "string", "enum": sorted(taxonomy.ALL_TAGS)},
        },
    },
    "required": ["major", "middle", "minor", "situation_tags"],
}


def _taxonomy_text() -> str:
    lines = []
    for major, (label, subs) in taxonomy.CATEGORIES.items():
        middles = ", ".join(f"{code} ({name})" for code, name in subs.items())
        lines.append(f"- {major} ({label})" + (f": {middles}" if middles else ""))
    tags = "; ".join(f"{theme}: {', '.join(t)}" for theme, t in taxonomy.SITUATION_TAGS.items())
    return "\n".join(lines) + f"\nSituation tags by theme: {tags}"


CLASSIFY_SYSTEM = f"""You classify one photographed item of household waste for disposal in \
Korea. Reply with JSON only: {{"major", "middle", "minor", "situation_tags"}}.
- major and middle are Korean category codes from this taxonomy; for a major without middle \
categories, middle equals major. Use 미분류 for both when you cannot tell.
{_taxonomy_text()}
- minor is a short Korean item name (e.g. "투명 페트병") or null.
- situation_tags lists only conditions visible in the photo or stated in the hint (a label \
still attached, a cap on, food residue, liquid inside, damage, …); an empty list if none.
- When the message lists dictionary entries the hint names, they are Korean disposal \
guidance: if the photo shows one of them, use its category and its Korean name as minor."""

PERSONA = """너는 분리배출 코치 '이코'야. 친근하고 다정한 말투(해요체)로, 3~5문장의 평범한 \
텍스트로만 답해(마크다운, 목록, 이모지 없이). 분리배출, 재활용, 이코의 캐릭터 친구들 이야기만 \
하고, 정치나 종교 이야기는 정중히 사양해."""


def entry(item: Item) -> dict[str, str | None]:
    """One dictionary item as a fact for the model."""
    return {
        "품목": item.ko,
        "영문": item.en,
        "대분류": item.major,
        "중분류": item.middle,
        "주의": item.notes,
    }


def classify_messages(
    hint: str, jpeg: bytes, named: Sequence[Item] = ()
) -> list[ChatCompletionMessageParam]:
    """The vision request: the hint as text, the dictionary entries it names, and the
    photo as a low-detail data URL."""
    url = "data:image/jpeg;base64," + base64.b64encode(jpeg).decode("ascii")
    text = f"Hint from the person: {hint or '(none)'}"
    if named:
        entries = json.dumps([entry(item) for item in named], ensure_ascii=False)
        text += f"\nDictionary entries the hint names: {entries}"
    return [
        {"role": "system", "content": CLASSIFY_SYSTEM},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": text},
                {"type": "image_url", "image_url": {"url": url, "detail": "low"}},
            ],
        },
    ]


def answer_messages(
    classification: Classification,
    rules: DisposalRules | None,
    insufficiencies: Sequence[Insufficiency],
    steps: Sequence[str],
    item: Item | None = None,
) -> list[ChatCompletionMessageParam]:
    """The answer request: the persona, and the facts the answer may use (nothing else)."""
    facts: dict[str, object] = {
        "분류": {
            "대분류": classification.major,
            "중분류": classification.middle,
            "품목": classification.minor,
        },
        "배출 방법": list(steps),
        "배출하면 안 되는 것": [f"{n.item} → {n.instead}" for n in rules.not_accepted]
        if rules
        else [],
        "부족한 점": [i.message for i in insufficiencies],
    }
    if item is not None:
        facts["품목 사전"] = entry(item)
    instruction = (
        "아래 사실만 사용해서 이 물건을 어떻게 버리면 되는지 알려 줘. 배출 방법의 핵심 단계를 "
        "안내하고, '부족한 점'에 적힌 것만 고쳐야 할 점으로 말해 줘. '부족한 점'이 비어 있으면 "
        "고칠 점을 지어내지 말고 잘했다고 칭찬해 줘. '품목 사전'에 '주의'가 있으면 꼭 전해 줘.\n"
    )
    return [
        {"role": "system", "content": PERSONA},
        {"role": "user", "content": instruction + json.dumps(facts, ensure_ascii=False)},
    ]
