"""Sessions: a refresh-token family plus the access tokens issued from it.

`open` starts a family (sign-in); `extend` adds the next refresh token to one (rotation).
Both run inside the caller's transaction and answer with the `auth.session` payload.
"""

from __future__ import annotations

import uuid

from contracts.accounts.v1 import Session
from services.accounts.domain import RefreshToken
from services.accounts.store import Tx, UserRow
from services.accounts.tokens import AccessTokens


class Sessions:
    def __init__(self, tokens: AccessTokens, refresh_ttl: int) -> None:
        self._tokens = tokens
        self._refresh_ttl = refresh_ttl

    async def open(self, tx: Tx, user: UserRow, provider: str, *, created: bool = False) -> Session:
        session_id = await tx.insert_session(user.id, provider)
        return await self.extend(tx, user, session_id, created=created)

    async def extend(
        self, tx: Tx, user: UserRow, session_id: uuid.UUID, *, created: bool = False
    ) -> Session:
        refresh = RefreshToken.new()
        await tx.insert_refresh(refresh.token_id, refresh.digest, session_id, self._refresh_ttl)
        return Session(
            user=user.view(),
            access_token=self._tokens.issue(str(user.id), str(session_id)),
            refresh_token=str(refresh),
            expires_in=self._tokens.ttl,
            created=created,
        )
