"""이코's rules on the offline coach and on the prompts the `openai` adapter sends: the
person's language, 3–5 plain sentences, waste only, politics and religion declined, "I
don't know" rather than a guess."""

from __future__ import annotations

import re

import pytest

from contracts.chat.v1 import (
    DictionaryFact,
    PlaceFact,
    ReplyContext,
    RuleFact,
    ScanFact,
    Turn,
)
from services.ai.chat import persona
from services.ai.chat.offline import compose
from services.ai.chat.openai_stream import messages
from services.ai.chat.provider import Prompt

EMPTY = ReplyContext(reply_id="r", chat_id="c", user_id="u")
RULE = RuleFact(
    major="재활용폐기물",
    middle="무색페트병",
    label="clear PET bottles",
    steps=("내용물을 비우고 라벨을 떼어 주세요.", "찌그러뜨려 뚜껑을 닫아 주세요."),
    not_accepted=("기름 묻은 페트병 → 일반종량제폐기물",),
)
GROUNDED = EMPTY.model_copy(
    update={
        "scans": (ScanFact(id="s1", major="재활용폐기물", middle="무색페트병", minor="생수병"),),
        "rules": (RULE,),
        "dictionary": (
            DictionaryFact(
                item="치킨 뼈",
                major="일반종량제폐기물",
                middle="일반종량제폐기물",
                label="general waste",
            ),
        ),
    }
)


def sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s]


def plain(text: str) -> bool:
    return re.search(r"[*#`>\[\]]|^\s*[-•]", text, re.MULTILINE) is None


@pytest.mark.parametrize(
    ("question", "context"),
    [
        ("라벨 안 떼고 버리면 어떻게 돼?", GROUNDED),
        ("치킨 뼈는 어디에 버려?", GROUNDED),
        ("근처에 투명 페트병 받는 곳 있어?", EMPTY),
        ("우주선 연료는 어떻게 버려?", EMPTY),
        ("How do I recycle this bottle?", GROUNDED),
        ("대통령 선거 누구 찍을까?", GROUNDED),
    ],
)
def test_every_answer_is_three_to_five_plain_sentences_from_the_offline_coach(
    question: str, context: ReplyContext
) -> None:
    text = compose(question, context, persona.language_of(question))
    assert 3 <= len(sentences(text)) <= 5, text
    assert plain(text)
    assert "오프라인 코치" in text or "offline coach" in text
    assert compose(question, context, persona.language_of(question)) == text  # deterministic


def test_the_answer_is_in_the_persons_language_korean_by_default() -> None:
    assert persona.language_of("How do I recycle a can?") == "en"
    assert persona.language_of("캔은 어떻게 버려?") == "ko"
    assert persona.language_of("PET 병 버리는 법") == "ko"
    assert persona.language_of("123?") == "ko"
    english = compose("How do I recycle this bottle?", GROUNDED, "en")
    assert re.search(r"[가-힣]", english.replace("이코", "")) is None or "guidance" in english


def test_politics_and_religion_are_declined_politely_without_grounding() -> None:
    for question in ("대통령 선거 누구 찍을까?", "무슨 종교를 믿어야 해?"):
        text = compose(question, GROUNDED, "ko")
        assert "사양" in text
        assert "무색페트병" not in text
    assert "politics" in compose("Which political party is right?", GROUNDED, "en")


def test_it_says_it_does_not_know_rather_than_guess() -> None:
    text = compose("우주선 연료는 어떻게 버려?", EMPTY, "ko")
    assert "알지 못해요" in text
    assert "don't know" in compose("What about rocket fuel?", EMPTY, "en")


def test_grounded_answers_use_the_facts_and_particles_fit_the_word() -> None:
    text = compose("치킨 뼈는 어디에 버려?", GROUNDED, "ko")
    assert "스캔한 생수병은 무색페트병 분류예요." in text
    assert "'치킨 뼈'는 일반종량제폐기물 분류예요." in text
    assert RULE.steps[0] in text
    where = compose("근처 수거함 어디야?", EMPTY, "ko")
    assert "구청이나 주민센터" in where
    place = PlaceFact(id="p1", name="알맹상점", distance_m=320.4, open_now=True)
    near = compose("근처 수거함 어디야?", EMPTY.model_copy(update={"places": (place,)}), "ko")
    assert "알맹상점(320m)" in near
    assert (persona.topic("종이"), persona.topic("병")) == ("종이는", "병은")
    assert (persona.toward("종이팩"), persona.toward("유리"), persona.toward("물")) == (
        "종이팩으로",
        "유리로",
        "물로",
    )


def test_the_prompt_sent_to_the_model_carries_the_rules_and_the_facts_only() -> None:
    prompt = Prompt(
        question="치킨 뼈는 어디에 버려?",
        history=(Turn(role="user", text="안녕"), Turn(role="assistant", text="안녕하세요!")),
        context=GROUNDED,
        language="ko",
        max_tokens=300,
    )
    sent = messages(prompt, "")
    assert sent[0]["role"] == "system"
    system = str(sent[0]["content"])
    for rule in ("3~5문장", "정치나 종교", "모르는 것은 모른다고", "마크다운"):
        assert rule in system
    assert "치킨 뼈" in str(sent[1]["content"])
    assert RULE.steps[0] in str(sent[1]["content"])
    assert [m["role"] for m in sent[2:]] == ["user", "assistant", "user"]
    assert sent[-1]["content"] == "치킨 뼈는 어디에 버려?"
    resumed = messages(prompt, "치킨 뼈는 ")
    assert resumed[-2] == {"role": "assistant", "content": "치킨 뼈는 "}
    assert resumed[-1]["content"] == persona.CONTINUE["ko"]
    english = messages(prompt.__class__(**{**prompt.__dict__, "language": "en"}), "")
    assert "politics and religion" in str(english[0]["content"])
