"""Password hashing with argon2id, off the event loop and bounded in concurrency.

Each hash takes tens of milliseconds and `memory_kib` of memory, so hashing runs in a
thread and at most `concurrency` at once. Logins of unknown users verify against a dummy
hash, so the answer takes as long whether the email exists or not.
"""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError


class Passwords:
    def __init__(self, *, memory_kib: int, iterations: int, concurrency: int = 4) -> None:
        self._hasher = PasswordHasher(
            time_cost=iterations, memory_cost=memory_kib, parallelism=1, type=Type.ID
        )
        self._slots = asyncio.Semaphore(concurrency)
        self._dummy: str | None = None

    async def hash(self, password: str) -> str:
        async with self._slots:
            return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, stored: str | None, password: str) -> bool:
        """Whether `password` matches `stored`; with no stored hash, spend the same time."""
        if stored is None:
            if self._dummy is None:
                self._dummy = await self.hash("not a password of anyone")
            await self._check(self._dummy, password)
            return False
        return await self._check(stored, password)

    def needs_rehash(self, stored: str) -> bool:
        """Whether `stored` was made with other parameters than the current ones."""
        try:
            return self._hasher.check_needs_rehash(stored)
        except InvalidHashError:
            return True

    async def _check(self, stored: str, password: str) -> bool:
        async with self._slots:
            try:
                return await asyncio.to_thread(self._hasher.verify, stored, password)
            except (VerificationError, InvalidHashError):
                return False
