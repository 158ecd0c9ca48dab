"""A stand-in accounts service on the bus: users in a dict, real signed JWTs, real revocations.

It answers the same queries with the same error codes, writes the same Redis revocation
keys and publishes the same events as `services.accounts`, so the gateway tests run
before (and without) the real service and its database.
"""

from __future__ import annotations

import secrets
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import jwt
import redis.asyncio as aioredis

from bus.ports import Message, Publisher, RequestFailed, Subscription
from contracts import Payload, new_envelope
from contracts.accounts import tokens
from contracts.accounts import v1 as accounts

TTL = 900


def access_token(secret: str, user_id: str, session_id: str, **claims: Any) -> str:
    now = int(time.time())
    body: dict[str, Any] = {
        "iss": tokens.ISSUER,
        "aud": tokens.AUDIENCE,
        "sub": user_id,
        "sid": session_id,
        "jti": uuid.uuid4().hex,
        "iat": now,
        "exp": now + TTL,
        "typ": "access",
        **claims,
    }
    return jwt.encode(body, secret, algorithm=tokens.ALGORITHM)


@dataclass
class FakeAccounts:
    secret: str
    redis: aioredis.Redis
    publisher: Publisher
    users: dict[str, dict[str, Any]] = field(default_factory=dict)  # by email
    refresh: dict[str, tuple[str, str]] = field(default_factory=dict)  # token -> (email, sid)

    def subscription(self, group: str) -> Subscription:
        return Subscription(group=group, bindings=["auth.*", "user.*"], handler=self.handle)

    def _view(self, user: dict[str, Any]) -> accounts.UserView:
        return accounts.UserView(
            id=user["id"], email=user["email"], nickname=user["nickname"], created_at=user["at"]
        )

    def _session(self, user: dict[str, Any], session_id: str | None = None) -> accounts.Session:
        sid = session_id or uuid.uuid4().hex
        refresh = secrets.token_urlsafe(32)
        self.refresh[refresh] = (user["email"], sid)
        return accounts.Session(
            user=self._view(user),
            access_token=access_token(self.secret, user["id"], sid),
            refresh_token=refresh,
            expires_in=TTL,
        )

    def _by_id(self, user_id: str) -> dict[str, Any]:
        for user in self.users.values():
            if user["id"] == user_id:
                return user
        raise RequestFailed("not_found", "no such user")

    async def handle(self, message: Message[Any]) -> Payload | None:
        payload = message.payload
        match payload:
            case accounts.Register(email=email, password=password, nickname=nickname):
                if email in self.users:
                    raise RequestFailed("email_taken", "this email already has an account")
                if len(password) < 10:
                    raise RequestFailed("weak_password", "password: at least 10 characters")
                user = {
                    "id": uuid.uuid4().hex,
                    "email": email,
                    "password": password,
                    "nickname": nickname,
                    "at": datetime.now(UTC),
                }
                self.users[email] = user
                return self._session(user)
            case accounts.Login(email=email, password=password):
                found = self.users.get(email)
                if found is None or found["password"] != password:
                    raise RequestFailed("invalid_credentials", "wrong email or password")
                return self._session(found)
            case accounts.Refresh(refresh_token=token):
                owner = self.refresh.pop(token, None)
                if owner is None:
                    raise RequestFailed("invalid_refresh_token", "unknown refresh token")
                return self._session(self.users[owner[0]], owner[1])
            case accounts.Logout(user_id=user_id, session_id=sid):
                await self._revoke("session", sid, user_id, session_id=sid)
                return accounts.LoggedOut(session_id=sid)
            case accounts.GetUser(user_id=user_id):
                return accounts.Profile(user=self._view(self._by_id(user_id)))
            case accounts.UpdateUser(user_id=user_id, nickname=nickname):
                user = self._by_id(user_id)
                user["nickname"] = nickname
                return accounts.Profile(user=self._view(user))
            case accounts.DeleteUser(user_id=user_id):
                user = self._by_id(user_id)
                self.users.pop(str(user["email"]))
                await self._revoke("user", user_id, user_id)
                deleted = accounts.UserDeleted(user_id=user_id)
                await self.publisher.publish(new_envelope(deleted, user_id=user_id))
                return deleted
        raise RequestFailed("unsupported", f"the fake accounts cannot answer {type(payload)}")

    async def _revoke(self, scope: Any, ident: str, user_id: str, **ids: str) -> None:
        value = str(time.time()) if scope == "user" else "1"
        await self.redis.set(tokens.revocation_key(scope, ident), value, ex=TTL)
        event = accounts.TokenRevoked(
            scope=scope,
            user_id=user_id,
            reason="logout" if scope != "user" else "user_deleted",
            expires_at=datetime.fromtimestamp(time.time() + TTL, UTC),
            **ids,
        )
        await self.publisher.publish(new_envelope(event, user_id=user_id))
