"""Stand-ins for the recycling and character services in the chaos suite, so the AI worker's
pipeline runs to `scan.completed`: `recycling.rules` answers fixed rules for any category
(`not_found` for 미분류), and `character.grant` answers idempotently per scan, as the real
service promises (the same scan asked again answers the same status)."""

from __future__ import annotations

from typing import Any

from bus.ports import Message, RequestFailed, Subscription
from contracts.character.v1 import Character, Grant, Granted, GrantStatus
from contracts.recycling.v1 import DisposalRules, GetRules, RulesFound
from contracts.scan import taxonomy


class Responders:
    """Answers the AI worker's queries; counts them, to show the stages really ran."""

    def __init__(self) -> None:
        self.rules_asked = 0
        self.grants_asked = 0
        self._grants: dict[str, GrantStatus] = {}
        self._owned: set[tuple[str, str]] = set()

    async def rules(self, message: Message[GetRules]) -> RulesFound:
        self.rules_asked += 1
        major, middle = message.payload.major, message.payload.middle or message.payload.major
        if major == taxonomy.UNCLASSIFIED:
            raise RequestFailed("not_found", "no rules for unclassified items")
        return RulesFound(
            rules=DisposalRules(
                major=major,
                middle=middle,
                label=taxonomy.middles(major).get(middle, middle),
                targets=(middle,),
                detailed_items=(),
                steps=("내용물을 비우고 깨끗이 헹궈 주세요.", "분리수거함에 배출해 주세요."),
                detailed_steps=(),
                not_accepted=(),
            )
        )

    async def grant(self, message: Message[Grant]) -> Granted:
        self.grants_asked += 1
        p = message.payload
        if p.scan_id not in self._grants:
            key = (p.user_id, p.middle)
            self._grants[p.scan_id] = "already_owned" if key in self._owned else "newly_acquired"
            self._owned.add(key)
        character = Character(
            code=f"char-{p.middle}", name=p.middle, type="chaos", dialog="!", middle=p.middle
        )
        return Granted(
            user_id=p.user_id,
            scan_id=p.scan_id,
            character=character,
            status=self._grants[p.scan_id],
        )

    def subscriptions(self) -> list[Subscription]:
        async def rules(message: Message[Any]) -> RulesFound:
            return await self.rules(message)

        async def grant(message: Message[Any]) -> Granted:
            return await self.grant(message)

        return [
            Subscription("recycling", ["recycling.rules"], rules),
            Subscription("character", ["character.grant"], grant),
        ]
