"""Throttles that hold against a hostile client (issue 17): concurrency, spoofed addresses.

401 comes only from the accounts service having checked the password, so the count of
401s is the count of guesses that reached the password hash.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from tests.e2e.gateway_system import (
    GatewaySystem,
    fake_redis,
    gateway_settings,
    gateway_system,
    memory_buses,
    register,
    unique_email,
)

LOGIN = "/api/v1/auth/login"
PASSWORD = "correct horse battery"


@pytest.fixture
async def system() -> AsyncIterator[GatewaySystem]:
    settings = gateway_settings(login_max_failures=5, registration_max_per_client=5)
    async with gateway_system(settings, memory_buses(), fake_redis()) as built:
        yield built


@pytest.fixture
async def proxied() -> AsyncIterator[GatewaySystem]:
    settings = gateway_settings(login_max_failures=2, trusted_proxies=("127.0.0.1",))
    async with gateway_system(settings, memory_buses(), fake_redis()) as built:
        yield built


async def test_parallel_wrong_guesses_cannot_outrun_the_limit(system: GatewaySystem) -> None:
    async with system.gateway.client() as client:
        email = unique_email()
        await register(client, email)
        wrong = {"email": email, "password": "wrong password!"}
        answers = await asyncio.gather(*(client.post(LOGIN, json=wrong) for _ in range(40)))
        statuses = [answer.status_code for answer in answers]
        assert statuses.count(401) == 5, statuses
        assert statuses.count(429) == 35, statuses


async def test_a_spoofed_forwarded_for_does_not_change_the_address(
    system: GatewaySystem,
) -> None:
    """The gateway trusts no proxy by default: X-Forwarded-For from the peer is ignored."""
    async with system.gateway.client() as client:
        email = unique_email()
        await register(client, email)
        wrong = {"email": email, "password": "wrong password!"}
        for n in range(5):
            spoofed = {"X-Forwarded-For": f"198.51.100.{n}"}
            response = await client.post(LOGIN, json=wrong, headers=spoofed)
            assert response.status_code == 401
        again = await client.post(LOGIN, json=wrong, headers={"X-Forwarded-For": "198.51.100.99"})
        assert again.status_code == 429


async def test_a_trusted_proxy_forwards_the_client_address(proxied: GatewaySystem) -> None:
    async with proxied.gateway.client() as client:
        email = unique_email()
        await register(client, email)
        wrong = {"email": email, "password": "wrong password!"}
        attacker = {"X-Forwarded-For": "203.0.113.7"}
        for _ in range(2):
            assert (await client.post(LOGIN, json=wrong, headers=attacker)).status_code == 401
        assert (await client.post(LOGIN, json=wrong, headers=attacker)).status_code == 429
        # The owner, from their own address, still signs in.
        owner = {"X-Forwarded-For": "192.0.2.10"}
        right = {"email": email, "password": PASSWORD}
        assert (await client.post(LOGIN, json=right, headers=owner)).status_code == 200


async def test_registrations_from_one_address_are_throttled(system: GatewaySystem) -> None:
    async with system.gateway.client() as client:
        bodies = [
            {"email": unique_email(), "password": PASSWORD, "nickname": "Kim"} for _ in range(20)
        ]
        answers = await asyncio.gather(
            *(client.post("/api/v1/auth/register", json=body) for body in bodies)
        )
        statuses = [answer.status_code for answer in answers]
        assert statuses.count(201) == 5, statuses
        assert statuses.count(429) == 15, statuses
        refused = next(answer for answer in answers if answer.status_code == 429)
        assert refused.json()["error"]["code"] == "rate_limited"
        assert int(refused.headers["retry-after"]) > 0
