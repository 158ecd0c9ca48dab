"""The accounts service over a real MemoryBus, PostgreSQL and Redis: sign-up to erasure.

The service is wired by the composition root (`components.accounts`), so the relay, the
handlers and their dependencies are the ones `eco2 run accounts` starts.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import jwt
import pytest
import redis.asyncio as aioredis

from bus.memory import MemoryBus
from bus.ports import Message, RemoteError, Subscription
from contracts import Envelope, new_envelope
from contracts.accounts.tokens import ALGORITHM, AUDIENCE, AccessClaims, revocation_key
from contracts.accounts.v1 import (
    DeleteUser,
    GetUser,
    Login,
    Logout,
    Refresh,
    Register,
    Session,
    UpdateUser,
    UserDeleted,
)
from contracts.catalog import build_registry
from objects import LocalObjectStore
from services.accounts.passwords import Passwords
from services.runtime import components
from services.runtime.resources import Resources
from services.runtime.settings import load_settings
from support.bus import BusHarness
from support.databases import fresh_database

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

SECRET = "test-secret-" + "x" * 40
EVENT_TYPES = ["user.registered", "user.deleted", "token.revoked"]


@dataclass
class Harness(BusHarness):
    db: asyncpg.Pool
    redis: aioredis.Redis
    events: list[Envelope] = field(default_factory=list)

    async def event(self, match: Callable[[Envelope], bool], timeout: float = 1.0) -> Envelope:
        """The first published event that `match`es; revocations must arrive within 1 s."""
        deadline = time.monotonic() + timeout
        while True:
            found = [e for e in self.events if match(e)]
            if found:
                return found[0]
            assert time.monotonic() < deadline, f"no such event among {self.events}"
            await asyncio.sleep(0.01)


@asynccontextmanager
async def harness(
    postgres_url: str, redis_url: str, tmp_path: Path, **settings: Any
) -> AsyncIterator[Harness]:
    """A fresh database with the accounts schema and the service running on a MemoryBus."""
    domains = [("accounts", "services.accounts")]
    async with fresh_database(postgres_url, "eco2_accounts", domains) as url:
        config = load_settings(
            database_url=url,
            redis_url=redis_url,
            data_dir=tmp_path,
            jwt_secret=SECRET,
            password_hash_memory_kib=1024,
            password_hash_iterations=1,
            **settings,
        )
        registry = build_registry()
        bus = MemoryBus(registry, request_timeout=10)
        async with AsyncExitStack() as stack:
            db = await asyncpg.create_pool(url, min_size=1, max_size=8)
            stack.push_async_callback(db.close)
            redis = aioredis.from_url(redis_url)
            stack.push_async_callback(redis.aclose)
            objects = LocalObjectStore(tmp_path / "objects")
            resources = Resources(config, registry, bus, url, db, redis, objects)
            for subscription in await components.accounts(resources, stack):
                bus.subscribe(subscription)
            running = Harness(bus, db, redis)

            async def collect(message: Message[Any]) -> None:
                running.events.append(message.envelope)

            bus.subscribe(Subscription("test-events", EVENT_TYPES, collect))
            stack.push_async_callback(bus.close)
            await bus.start()
            yield running


@pytest.fixture
async def accounts(postgres_url: str, redis_url: str, tmp_path: Path) -> AsyncIterator[Harness]:
    async with harness(postgres_url, redis_url, tmp_path) as running:
        yield running


def claims(session: Session) -> AccessClaims:
    decoded = jwt.decode(session.access_token, SECRET, algorithms=[ALGORITHM], audience=AUDIENCE)
    return AccessClaims.model_validate(decoded)


def revoked(scope: str, reason: str) -> Callable[[Envelope], bool]:
    return lambda e: (
        e.type == "token.revoked" and e.payload["scope"] == scope and e.payload["reason"] == reason
    )


PASSWORD = "recycle the cans"


async def test_an_account_from_sign_up_to_erasure(accounts: Harness) -> None:
    signed_up: Session = await accounts.ask(
        Register(email=" Mina@Example.com ", password=PASSWORD, nickname=" 민아 ")
    )
    user_id = signed_up.user.id
    assert signed_up.created
    assert signed_up.user.email == "mina@example.com"
    assert signed_up.user.nickname == "민아"
    assert signed_up.expires_in == 900
    assert claims(signed_up).sub == user_id
    registered = await accounts.event(lambda e: e.type == "user.registered")
    assert registered.payload == {
        "user_id": user_id,
        "email": "mina@example.com",
        "nickname": "민아",
        "provider": "password",
    }

    assert await accounts.fails(Login(email="mina@example.com", password="wrong!" * 3)) == (
        "invalid_credentials"
    )
    assert await accounts.fails(Login(email="nobody@example.com", password=PASSWORD)) == (
        "invalid_credentials"
    )
    login: Session = await accounts.ask(Login(email="MINA@example.com", password=PASSWORD))
    assert not login.created
    assert login.user.id == user_id
    assert claims(login).sid != claims(signed_up).sid

    second: Session = await accounts.ask(Refresh(refresh_token=login.refresh_token))
    third: Session = await accounts.ask(Refresh(refresh_token=second.refresh_token))
    assert claims(third).sid == claims(login).sid
    assert len({login.refresh_token, second.refresh_token, third.refresh_token}) == 3

    # The first token again: reuse. The whole session dies, the newest token too.
    assert await accounts.fails(Refresh(refresh_token=login.refresh_token)) == (
        "refresh_token_reused"
    )
    assert await accounts.fails(Refresh(refresh_token=third.refresh_token)) == (
        "invalid_refresh_token"
    )
    reuse = await accounts.event(revoked("session", "refresh_token_reused"))
    assert reuse.payload["session_id"] == claims(login).sid
    assert await accounts.redis.get(revocation_key("session", claims(login).sid)) == b"1"

    # Logout of the sign-up session.
    mine = claims(signed_up)
    expires = datetime.fromtimestamp(mine.exp, UTC)
    logout = Logout(
        user_id=user_id,
        session_id=mine.sid,
        access_jti=mine.jti,
        access_expires_at=expires,
        refresh_token=signed_up.refresh_token,
    )
    assert (await accounts.ask(logout)).session_id == mine.sid
    assert await accounts.ask(logout)  # again: nothing left to do, still fine
    assert await accounts.redis.get(revocation_key("access", mine.jti)) == b"1"
    assert 0 < await accounts.redis.ttl(revocation_key("access", mine.jti)) <= 901
    assert 0 < await accounts.redis.ttl(revocation_key("session", mine.sid)) <= 900
    access = await accounts.event(revoked("access", "logout"))
    assert access.payload["jti"] == mine.jti
    assert (await accounts.event(revoked("session", "logout"))).payload["session_id"] == mine.sid
    assert await accounts.fails(Refresh(refresh_token=signed_up.refresh_token)) == (
        "invalid_refresh_token"
    )
    other = logout.model_copy(update={"refresh_token": third.refresh_token})
    assert await accounts.fails(other) == "invalid_refresh_token"

    # Profile.
    assert (await accounts.ask(GetUser(user_id=user_id))).user == signed_up.user
    renamed = await accounts.ask(UpdateUser(user_id=user_id, nickname="  Mina K "))
    assert renamed.user.nickname == "Mina K"
    assert await accounts.fails(UpdateUser(user_id=user_id, nickname="   ")) == "invalid_nickname"

    # Erasure, delivered twice.
    fresh: Session = await accounts.ask(Login(email="mina@example.com", password=PASSWORD))
    delete = new_envelope(DeleteUser(user_id=user_id))
    before = time.time()
    assert await accounts.ask(DeleteUser(user_id=user_id), delete) == UserDeleted(user_id=user_id)
    assert await accounts.ask(DeleteUser(user_id=user_id), delete) == UserDeleted(user_id=user_id)
    assert await accounts.fails(DeleteUser(user_id=user_id)) == "not_found"
    assert await accounts.fails(GetUser(user_id=user_id)) == "not_found"
    assert await accounts.fails(Login(email="mina@example.com", password=PASSWORD)) == (
        "invalid_credentials"
    )
    assert await accounts.fails(Refresh(refresh_token=fresh.refresh_token)) == (
        "invalid_refresh_token"
    )
    cutoff = int(await accounts.redis.get(revocation_key("user", user_id)) or 0)
    assert before <= cutoff <= time.time() + 1
    assert claims(fresh).iat < cutoff
    deleted = await accounts.event(lambda e: e.type == "user.deleted")
    assert deleted.payload == {"user_id": user_id}
    assert (await accounts.event(revoked("user", "user_deleted"))).payload["user_id"] == user_id
    row = await accounts.db.fetchrow("SELECT * FROM accounts.users WHERE id = $1::uuid", user_id)
    assert row is not None
    assert row["email"] is None
    assert row["nickname"] is None
    for table in ("password_credentials", "identities", "sessions"):
        left = await accounts.db.fetchval(
            f"SELECT count(*) FROM accounts.{table} WHERE user_id = $1::uuid", user_id
        )
        assert left == 0, table
    await asyncio.sleep(0.2)
    assert sum(e.type == "user.deleted" for e in accounts.events) == 1
    # The published events that named the user (with their email) are gone too.
    kept = await accounts.db.fetch("SELECT type, envelope::text AS text FROM accounts.outbox")
    assert not [row["type"] for row in kept if "mina@example.com" in row["text"].lower()]


async def test_registration_rules(accounts: Harness) -> None:
    def register(email: str = "jun@example.com", password: str = PASSWORD) -> Register:
        return Register(email=email, password=password, nickname="jun")

    assert await accounts.fails(register(email="jun@example")) == "invalid_email"
    with pytest.raises(RemoteError, match="at least 10 characters") as weak:
        await accounts.ask(register(password="short"))
    assert weak.value.code == "weak_password"
    assert await accounts.fails(register(password="jun@example.com")) == "weak_password"
    assert await accounts.fails(register(password="password123")) == "weak_password"
    await accounts.ask(register())
    assert await accounts.fails(register(email="JUN@example.com ")) == "email_taken"


async def test_a_redelivered_registration_answers_again_without_a_second_event(
    accounts: Harness,
) -> None:
    request = new_envelope(Register(email="ha@example.com", password=PASSWORD, nickname="ha"))
    first: Session = await accounts.ask(Register.model_validate(request.payload), request)
    again: Session = await accounts.ask(Register.model_validate(request.payload), request)
    assert again.created
    assert again.user == first.user
    await accounts.event(lambda e: e.type == "user.registered")
    await asyncio.sleep(0.2)
    assert sum(e.type == "user.registered" for e in accounts.events) == 1


async def test_only_one_of_two_concurrent_refreshes_wins(accounts: Harness) -> None:
    session: Session = await accounts.ask(
        Register(email="duo@example.com", password=PASSWORD, nickname="duo")
    )
    outcomes = await asyncio.gather(
        accounts.ask(Refresh(refresh_token=session.refresh_token)),
        accounts.ask(Refresh(refresh_token=session.refresh_token)),
        return_exceptions=True,
    )
    won = [o for o in outcomes if isinstance(o, Session)]
    lost = [o for o in outcomes if isinstance(o, RemoteError)]
    assert len(won) == 1
    assert len(lost) == 1
    assert lost[0].code == "refresh_token_reused"


async def test_a_redelivered_refresh_is_not_taken_for_reuse(accounts: Harness) -> None:
    session: Session = await accounts.ask(
        Register(email="re@example.com", password=PASSWORD, nickname="re")
    )
    request = new_envelope(Refresh(refresh_token=session.refresh_token))
    first: Session = await accounts.ask(Refresh.model_validate(request.payload), request)
    again: Session = await accounts.ask(Refresh.model_validate(request.payload), request)
    assert first.refresh_token != again.refresh_token
    await accounts.ask(Refresh(refresh_token=again.refresh_token))


async def test_expired_and_malformed_refresh_tokens(accounts: Harness) -> None:
    session: Session = await accounts.ask(
        Register(email="old@example.com", password=PASSWORD, nickname="old")
    )
    await accounts.db.execute(
        "UPDATE accounts.refresh_tokens SET expires_at = now() - interval '1 second'"
    )
    assert await accounts.fails(Refresh(refresh_token=session.refresh_token)) == (
        "refresh_token_expired"
    )
    assert await accounts.fails(Refresh(refresh_token="nonsense")) == "invalid_refresh_token"
    forged = session.refresh_token.split(".")[0] + "." + "A" * 43
    assert await accounts.fails(Refresh(refresh_token=forged)) == "invalid_refresh_token"


async def test_login_rehashes_a_password_hashed_with_old_parameters(accounts: Harness) -> None:
    await accounts.ask(Register(email="rh@example.com", password=PASSWORD, nickname="rh"))
    old = await Passwords(memory_kib=2048, iterations=2).hash(PASSWORD)
    await accounts.db.execute("UPDATE accounts.password_credentials SET hash = $1", old)
    await accounts.ask(Login(email="rh@example.com", password=PASSWORD))
    stored = await accounts.db.fetchval("SELECT hash FROM accounts.password_credentials")
    assert stored != old
    assert "m=1024,t=1" in stored
    await accounts.ask(Login(email="rh@example.com", password=PASSWORD))
