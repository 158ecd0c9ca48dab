"""이코's rules for chat (`DOMAIN.md`): the person's language (Korean by default), 3–5
plain sentences, waste, recycling and the characters only, politics and religion declined
politely, "I don't know" rather than a guess; and what 이코 says when it cannot answer."""

from __future__ import annotations

import re

from contracts.chat import errors
from services.ai.chat.provider import Language

_HANGUL = re.compile(r"[가-힣]")
_LATIN = re.compile(r"[A-Za-z]")

# Words that take a chat off waste and recycling into what 이코 declines.
OFF_TOPIC = re.compile(
    r"(정치|대통령|선거|국회|정당|투표|여당|야당|종교|하나님|하느님|예수|부처님|불교|기독교|천주교|이슬람"
    r"|\bpolitic\w*|\belection\w*|\bpresident\w*|\bparty\b|\bvot\w+|\breligio\w*|\bgod\b"
    r"|\bjesus\b|\bbuddh\w*|\bchurch\w*|\bislam\w*)",
    re.IGNORECASE,
)
# A question about where to take something, or what is near.
WHERE = re.compile(r"(어디|근처|가까운|주변|수거함|where|near|nearby|closest)", re.IGNORECASE)


def language_of(text: str) -> Language:
    """English when the text is written in Latin letters without Hangul; else Korean."""
    if _HANGUL.search(text) is None and _LATIN.search(text) is not None:
        return "en"
    return "ko"


def off_topic(text: str) -> bool:
    return OFF_TOPIC.search(text) is not None


def asks_where(text: str) -> bool:
    return WHERE.search(text) is not None


def _final_consonant(word: str) -> bool:
    """Whether the last Hangul syllable of `word` ends in a consonant (batchim)."""
    for ch in reversed(word):
        if "가" <= ch <= "힣":
            return (ord(ch) - 0xAC00) % 28 != 0
        if ch.isalnum():
            return False
    return False


def topic(word: str) -> str:
    """`word` with the topic particle: 은 after a consonant, 는 after a vowel."""
    return word + ("은" if _final_consonant(word) else "는")


def toward(word: str) -> str:
    """`word` + 으로/로 (로 after a vowel or ㄹ)."""
    last = next((ch for ch in reversed(word) if "가" <= ch <= "힣"), "")
    final = (ord(last) - 0xAC00) % 28 if last else 0
    return word + ("로" if final in (0, 8) else "으로")


def copula(word: str) -> str:
    """`word` + 이에요/예요."""
    return word + ("이에요" if _final_consonant(word) else "예요")


SYSTEM = {
    "ko": (
        "너는 분리배출 코치 '이코'야. 친근하고 다정한 해요체로,"
        " 3~5문장의 평범한 텍스트로만 답해(마크다운, 목록, 이모지 없이)."
        " 분리배출, 재활용, 이코의 캐릭터 친구들 이야기만 하고,"
        " 정치나 종교 이야기는 정중히 사양해."
        " 아래 '참고 자료'에 있는 사실만 사용하고,"
        " 모르는 것은 모른다고 말해. 추측하지 마. 사용자가 쓴 언어로 답해."
    ),
    "en": (
        "You are 이코, a friendly recycling coach for people in Korea. Answer in 3 to 5 "
        "sentences of plain text (no markdown, lists or emoji). Talk only about waste, "
        "recycling and 이코's character friends; politely decline politics and religion. Use "
        "only the facts under 'Reference'; when you do not know, say so instead of guessing. "
        "Answer in the language the person writes in."
    ),
}

CONTINUE = {
    "ko": (
        "방금 답이 중간에 끊겼어. 이미 쓴 부분은 반복하지 말고,"
        " 끊긴 바로 다음 글자부터 이어서 써 줘."
    ),
    "en": "Your answer was cut off. Continue exactly where it stopped, without repeating it.",
}

_FAILURES: dict[str, dict[Language, str]] = {
    errors.PROVIDER_BUSY: {
        "ko": "지금 이코에게 질문이 너무 많이 몰렸어요. 잠시 뒤에 다시 물어봐 주세요.",
        "en": "이코 is getting too many questions right now. Please ask again in a moment.",
    },
    errors.PROVIDER_UNAVAILABLE: {
        "ko": "이코가 잠깐 연결이 끊겼어요. 조금 뒤에 다시 물어봐 주세요.",
        "en": "이코 lost its connection for a moment. Please ask again shortly.",
    },
    errors.BAD_MODEL_OUTPUT: {
        "ko": "이코가 답을 제대로 만들지 못했어요. 질문을 조금 바꿔서 다시 물어봐 주세요.",
        "en": "이코 could not put a proper answer together. Try asking a little differently.",
    },
    errors.REPLY_FAILED: {
        "ko": "이코가 이번에는 답을 하지 못했어요. 다시 한 번 물어봐 주세요.",
        "en": "이코 could not answer this time. Please ask once more.",
    },
}


def failure_message(code: str, language: Language) -> str:
    """What 이코 says when the answer failed with `code` (never the raw error)."""
    return _FAILURES.get(code, _FAILURES[errors.REPLY_FAILED])[language]
