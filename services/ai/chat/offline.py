"""The offline coach: no network, deterministic. It composes 이코's answer from the grounding
alone (the rules, the dictionary items, the scans and places) in the person's language,
says it is the offline coach, and streams it word by word at a readable pace, so stopping
and resuming mean something on `eco2 up`. The same prompt always gives the same text,
which is how a resumed answer continues exactly after the text already written."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator

from contracts.chat.tokens import estimate_tokens
from contracts.chat.v1 import ReplyContext, Usage
from services.ai.chat import persona
from services.ai.chat.provider import Chunk, Language, Prompt

MODEL = "offline-coach"
_PIECE = re.compile(r"\S+\s*")


def _ko(question: str, context: ReplyContext) -> list[str]:
    if persona.off_topic(question):
        return [
            "저는 오프라인 코치 이코라서 정치나 종교 이야기는 정중히 사양할게요.",
            "대신 버리기 헷갈리는 물건이 있으면 언제든 물어봐 주세요.",
            "분리배출이라면 이코가 꼼꼼히 알려 드릴게요.",
        ]
    said = ["오프라인 코치 이코가 알려 드릴게요."]
    named = context.scans[0] if context.scans else None
    if named is not None:
        item = named.minor or named.middle
        said.append(f"스캔한 {topic_word(item)} {persona.copula(named.middle + ' 분류')}.")
    for fact in context.dictionary[:1]:
        if named is None or fact.middle != named.middle:
            said.append(
                f"말씀하신 {topic_word(fact.item)} {persona.copula(fact.middle + ' 분류')}."
            )
    if context.rules:
        rule = context.rules[0]
        said.extend(rule.steps[:2])
        if rule.not_accepted and len(said) < 5:
            item, _, instead = rule.not_accepted[0].partition(" → ")
            said.append(f"다만 {topic_word(item)} {persona.toward(instead)} 따로 버려야 해요.")
    if persona.asks_where(question) and len(said) < 5:
        if context.places:
            place = context.places[0]
            state = "지금 문을 열었어요" if place.open_now else "영업시간을 확인해 주세요"
            said.append(f"가까운 곳은 {place.name}({round(place.distance_m)}m)이고, {state}.")
        else:
            said.append(
                "근처 수거 장소는 지금 제가 찾을 수 없어서, 구청이나 주민센터 안내를 확인해 주세요."
            )
    if len(said) == 1:
        said.append("그건 제가 확실히 알지 못해요.")
        said.append("버리려는 물건 이름을 알려 주시면 배출 방법을 찾아볼게요.")
    if len(said) < 3:
        said.append("더 궁금한 게 있으면 편하게 물어봐 주세요.")
    return said[:5]


def _en(question: str, context: ReplyContext) -> list[str]:
    if persona.off_topic(question):
        return [
            "I'm 이코, the offline coach, so I'll politely stay out of politics and religion.",
            "If something is hard to sort, though, ask me any time.",
            "Recycling questions are exactly what I'm here for.",
        ]
    said = ["This is 이코, your offline coach."]
    if context.scans:
        scan = context.scans[0]
        said.append(f"Your scan of {scan.minor or scan.middle} is sorted as {scan.middle}.")
    for fact in context.dictionary[:1]:
        said.append(f"{fact.item} goes with {fact.label} ({fact.middle}).")
    if context.rules:
        rule = context.rules[0]
        said.append(f"For {rule.label}, the Korean guidance says: {' '.join(rule.steps[:2])}")
    if persona.asks_where(question) and len(said) < 5:
        if context.places:
            place = context.places[0]
            said.append(f"The nearest place is {place.name}, {round(place.distance_m)} m away.")
        else:
            said.append("I can't look up collection points right now; your district office knows.")
    if len(said) == 1:
        said.append("I don't know that one for sure.")
        said.append("Tell me the name of the item and I'll look up how to dispose of it.")
    if len(said) < 3:
        said.append("Ask me anything else about sorting your waste.")
    return said[:5]


def topic_word(word: str) -> str:
    return persona.topic(f"'{word}'" if " " in word else word)


def compose(question: str, context: ReplyContext, language: Language) -> str:
    """The whole answer the offline coach gives to `question` on `context`."""
    sentences = (_ko if language == "ko" else _en)(question, context)
    return " ".join(s.strip() for s in sentences)


class OfflineCoach:
    """`ChatProvider` without a model: `compose`, streamed at `words_per_second`."""

    def __init__(self, words_per_second: float = 20.0) -> None:
        self._pause = 1.0 / words_per_second

    @property
    def model(self) -> str:
        return MODEL

    async def stream(self, prompt: Prompt, so_far: str) -> AsyncIterator[Chunk]:
        text = compose(prompt.question, prompt.context, prompt.language)
        if not text.startswith(so_far):  # cannot happen for the same prompt; start clean
            raise ValueError("the offline answer does not continue the text so far")
        written = so_far
        for piece in _PIECE.findall(text[len(so_far) :]):
            await asyncio.sleep(self._pause)
            written += piece
            yield Chunk(text=piece)
        prompt_tokens = estimate_tokens(prompt.question) + sum(
            estimate_tokens(t.text) for t in prompt.history
        )
        usage = Usage(
            prompt_tokens=prompt_tokens,
            completion_tokens=estimate_tokens(written),
            estimated=True,
        )
        yield Chunk(usage=usage, finish="stop")
