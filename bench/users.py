"""Users of a running gateway for a benchmark: registered through the API, their tokens."""

from __future__ import annotations

import asyncio
import uuid

import aiohttp


async def register(base: str, users: int, prefix: str = "bench") -> list[str]:
    """Register `users` users at the gateway `base`; their access tokens.

    Registration answers 503 while the accounts service is still starting; it is tried
    again for up to 30 s.
    """
    tokens = []
    async with aiohttp.ClientSession() as session:
        for n in range(users):
            body = {
                "email": f"{prefix}-{n}-{uuid.uuid4().hex[:8]}@example.com",
                "password": f"{prefix} pass 123",
                "nickname": f"bench{n}",
            }
            for _ in range(30):
                async with session.post(f"{base}/api/v1/auth/register", json=body) as response:
                    answer = await response.json()
                    if response.status == 201:
                        tokens.append(str(answer["access_token"]))
                        break
                    if response.status != 503:
                        raise RuntimeError(f"register failed: {response.status} {answer}")
                await asyncio.sleep(1.0)
            else:
                raise RuntimeError("register kept answering 503")
    return tokens
