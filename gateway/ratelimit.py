"""Throttles in Redis: sign-in attempts, registrations and chat messages, in fixed windows.

Sign-in. Every attempt reserves one unit of three counters *before* the password is
checked, in one round trip (`MULTI: INCR, EXPIRE NX` per key, then the counts): the
(email, client address) pair, the client address, and the email from every address.
Over any limit the reservation is given back and the answer is 429 with `Retry-After`;
so however many guesses run at once, at most the limit reach the password hash. A
successful sign-in (or an answer that is not about the password) gives the reservation
back and clears the pair. The pair limit is strict (5 by default); the email limit is
higher (100), so that an attacker guessing from other addresses locks the owner out only
after far more guesses, and the owner signing in from their own address is not stopped
by failures from elsewhere until then.

Registration: one unit per attempt per client address, reserved the same way.

Chat messages (`MessageLimiter`): per user per minute, one `MULTI: INCR; EXPIRE NX` each.

The window starts at a key's first unit and is never extended.
"""

from __future__ import annotations

import hashlib

import redis.asyncio as aioredis

from gateway.errors import ApiError

PREFIX = "eco2:login:failures:"
REGISTER_PREFIX = "eco2:register:"


class Reservation:
    """Units taken from some counters, to give back when the attempt did not count."""

    def __init__(self, redis: aioredis.Redis, keys: tuple[str, ...]) -> None:
        self._redis = redis
        self._keys = keys
        self._open = True

    async def release(self, *, clear: tuple[str, ...] = ()) -> None:
        if not self._open:
            return
        self._open = False
        await _give_back(self._redis, self._keys, clear)


async def _reserve(
    redis: aioredis.Redis, limits: dict[str, int], window: int, what: str
) -> Reservation:
    """Take one unit of each key (one round trip), or raise 429 having given them back."""
    keys = tuple(limits)
    async with redis.pipeline(transaction=True) as pipe:
        for key in keys:
            pipe.incr(key)
            pipe.expire(key, window, nx=True)
        for key in keys:
            pipe.ttl(key)
        answers = await pipe.execute()
    counts = answers[0 : 2 * len(keys) : 2]
    ttls = answers[2 * len(keys) :]
    waits = [
        int(ttl) if int(ttl) > 0 else window
        for key, count, ttl in zip(keys, counts, ttls, strict=True)
        if int(count) > limits[key]
    ]
    reservation = Reservation(redis, keys)
    if waits:
        await reservation.release()
        retry = max(1, *waits)
        raise ApiError(
            429,
            "rate_limited",
            f"too many {what}; try again in {retry} seconds",
            {"Retry-After": str(retry)},
        )
    return reservation


async def _give_back(redis: aioredis.Redis, keys: tuple[str, ...], clear: tuple[str, ...]) -> None:
    async with redis.pipeline(transaction=True) as pipe:
        for key in keys:
            pipe.decr(key)
        for key in clear:
            pipe.delete(key)
        counts = await pipe.execute()
    # A key that expired in between came back as -1 without a TTL: drop it.
    stale = [key for key, count in zip(keys, counts, strict=False) if int(count) <= 0]
    if stale:
        await redis.delete(*stale)


class LoginLimiter:
    def __init__(
        self,
        redis: aioredis.Redis,
        *,
        per_pair: int,
        per_client: int,
        per_email: int,
        window: int,
    ) -> None:
        self._redis = redis
        self._per_pair = per_pair
        self._per_client = per_client
        self._per_email = per_email
        self._window = window

    async def reserve(self, email: str, client: str) -> Reservation:
        """One attempt of `email` from `client`, or a 429 (nothing reserved then)."""
        limits = {
            _pair_key(email, client): self._per_pair,
            _client_key(client): self._per_client,
            _email_key(email): self._per_email,
        }
        return await _reserve(self._redis, limits, self._window, "failed sign-ins")

    async def succeeded(self, reservation: Reservation, email: str, client: str) -> None:
        """The password was right: this attempt does not count, and the pair starts over."""
        await reservation.release(clear=(_pair_key(email, client),))


class RegistrationLimiter:
    def __init__(self, redis: aioredis.Redis, *, per_client: int, window: int) -> None:
        self._redis = redis
        self._per_client = per_client
        self._window = window

    async def reserve(self, client: str) -> Reservation:
        limits = {f"{REGISTER_PREFIX}client:{client}": self._per_client}
        return await _reserve(self._redis, limits, self._window, "registrations")


def _digest(email: str) -> str:
    # Hashed: the key space need not hold people's addresses.
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]


def _email_key(email: str) -> str:
    return f"{PREFIX}email:{_digest(email)}"


def _pair_key(email: str, client: str) -> str:
    return f"{PREFIX}pair:{_digest(email)}:{client}"


def _client_key(client: str) -> str:
    return f"{PREFIX}client:{client}"


class MessageLimiter:
    """Chat messages per user per minute: one `MULTI: INCR; EXPIRE NX` per message; over
    the limit, 429 with the seconds left in the window."""

    def __init__(self, redis: aioredis.Redis, *, per_minute: int, window: int = 60) -> None:
        self._redis = redis
        self._limit = per_minute
        self._window = window

    async def take(self, user_id: str) -> None:
        key = f"eco2:chat:messages:{user_id}"
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, self._window, nx=True)
            pipe.ttl(key)
            count, _, ttl = await pipe.execute()
        if int(count) > self._limit:
            retry = max(1, int(ttl) if ttl and int(ttl) > 0 else self._window)
            raise ApiError(
                429,
                "rate_limited",
                f"at most {self._limit} messages a minute; try again in {retry} seconds",
                {"Retry-After": str(retry)},
            )
