"""The gateway's HTTP API over real HTTP: accounts routes, errors, limits, revocation."""

from __future__ import annotations

from collections.abc import AsyncIterator

import fakeredis
import pytest

from tests.e2e.gateway_system import (
    GatewaySystem,
    bearer,
    fake_redis,
    gateway_settings,
    gateway_system,
    memory_buses,
    refused_within,
    register,
    unique_email,
)


@pytest.fixture
async def system() -> AsyncIterator[GatewaySystem]:
    settings = gateway_settings(login_max_failures=3, max_body_bytes=2048, internal_routes=True)
    async with gateway_system(settings, memory_buses(), fake_redis(), instances=2) as built:
        yield built


async def test_register_login_refresh_answer_the_token_shape(system: GatewaySystem) -> None:
    async with system.gateway.client() as client:
        email = unique_email()
        registered = await register(client, email)
        assert set(registered) == {
            "user",
            "access_token",
            "refresh_token",
            "token_type",
            "expires_in",
        }
        assert registered["token_type"] == "Bearer"
        assert registered["user"]["email"] == email
        assert set(registered["user"]) == {"id", "email", "nickname"}

        login = await client.post(
            "/api/v1/auth/login", json={"email": email, "password": "correct horse battery"}
        )
        assert login.status_code == 200, login.text
        assert login.json()["user"] == registered["user"]

        refreshed = await client.post(
            "/api/v1/auth/refresh", json={"refresh_token": login.json()["refresh_token"]}
        )
        assert refreshed.status_code == 200, refreshed.text
        assert refreshed.json()["refresh_token"] != login.json()["refresh_token"]
        again = await client.post(
            "/api/v1/auth/refresh", json={"refresh_token": login.json()["refresh_token"]}
        )
        assert again.status_code == 401
        assert again.json()["error"]["code"] == "invalid_refresh_token"

        taken = await client.post(
            "/api/v1/auth/register",
            json={"email": email, "password": "correct horse battery", "nickname": "Lee"},
        )
        assert taken.status_code == 409
        assert taken.json()["error"]["code"] == "email_taken"


async def test_users_me_needs_a_valid_token(system: GatewaySystem) -> None:
    async with system.gateway.client() as client:
        session = await register(client)
        me = await client.get("/api/v1/users/me", headers=bearer(session))
        assert me.status_code == 200, me.text
        assert set(me.json()) == {"id", "email", "nickname", "created_at"}

        patched = await client.patch(
            "/api/v1/users/me", json={"nickname": "Park"}, headers=bearer(session)
        )
        assert patched.status_code == 200, patched.text
        assert patched.json()["nickname"] == "Park"

        for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic eDp5"}):
            denied = await client.get("/api/v1/users/me", headers=headers)
            assert denied.status_code == 401
            assert denied.headers["www-authenticate"].startswith("Bearer")
            error = denied.json()["error"]
            assert error["request_id"] == denied.headers["x-request-id"]

        deleted = await client.delete("/api/v1/users/me", headers=bearer(session))
        assert deleted.status_code == 204
        gone = await client.get("/api/v1/users/me", headers=bearer(session))
        assert gone.status_code == 401


async def test_logout_revokes_the_token_on_every_instance_within_a_second(
    system: GatewaySystem,
) -> None:
    first, second = system.instances
    async with first.client() as one, second.client() as two:
        session = await register(one)
        assert (await two.get("/api/v1/users/me", headers=bearer(session))).status_code == 200
        logout = await one.post("/api/v1/auth/logout", headers=bearer(session))
        assert logout.status_code == 204, logout.text
        assert (await one.get("/api/v1/users/me", headers=bearer(session))).status_code == 401
        await refused_within(two, session)


async def test_a_gateway_started_later_knows_earlier_revocations() -> None:
    server = fakeredis.FakeServer()
    settings = gateway_settings()
    async with gateway_system(settings, memory_buses(), fake_redis(server)) as early:
        async with early.gateway.client() as client:
            session = await register(client)
            assert (
                await client.post("/api/v1/auth/logout", headers=bearer(session))
            ).status_code == 204
        # A new system on the same Redis: no event reaches it, only the Redis keys.
        async with (
            gateway_system(settings, memory_buses(), fake_redis(server)) as late,
            late.gateway.client() as client,
        ):
            assert (
                await client.get("/api/v1/users/me", headers=bearer(session))
            ).status_code == 401


async def test_bad_bodies_get_clear_4xx_errors(system: GatewaySystem) -> None:
    path = "/api/v1/auth/register"
    json_type = {"Content-Type": "application/json"}
    async with system.gateway.client() as client:
        cases = [
            (client.post(path, content=b"{" * 10, headers=json_type), 400, "not valid JSON"),
            (client.post(path, content=b'{"email": "\xff"}', headers=json_type), 400, "UTF-8"),
            (client.post(path, content=b"[1, 2]", headers=json_type), 422, "JSON object"),
            (client.post(path, content=b"1" * 5000, headers=json_type), 413, "larger than"),
            (
                client.post(path, content=b"email=a", headers={"Content-Type": "text/plain"}),
                415,
                "application/json",
            ),
            (client.post(path, content=b"{}"), 415, "application/json"),
            (
                client.post(
                    path, json={"email": "not-an-email", "password": "x" * 12, "nickname": "K"}
                ),
                422,
                "email:",
            ),
            (
                client.post(
                    path, json={"email": "a@b.co", "password": 12345678901, "nickname": "K"}
                ),
                422,
                "password:",
            ),
            (
                client.post(
                    path,
                    json={"email": "a@b.co", "password": "x" * 12, "nickname": "K", "admin": True},
                ),
                422,
                "admin:",
            ),
            (client.post(path, json={"email": "a@b.co", "password": "x" * 12}), 422, "nickname:"),
            (
                client.post(path, content=b'{"email": 1' + b"0" * 1000 + b"}", headers=json_type),
                422,
                "email:",
            ),
            (
                client.post(path, content=b'{"email": 1' + b"0" * 5000 + b"}", headers=json_type),
                413,
                "larger than",
            ),
            (client.post(path, content=b'{"email": NaN}', headers=json_type), 400, "JSON"),
        ]
        for request, status, words in cases:
            response = await request
            assert response.status_code == status, response.text
            error = response.json()["error"]
            assert words in error["message"], error
            assert set(error) == {"code", "message", "request_id"}


async def test_a_streamed_body_over_the_limit_is_refused(system: GatewaySystem) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(10):
            yield b" " * 512

    async with system.gateway.client() as client:
        response = await client.post(
            "/api/v1/auth/login", content=chunks(), headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 413
        assert response.json()["error"]["code"] == "payload_too_large"


async def test_failed_logins_are_throttled_with_retry_after(system: GatewaySystem) -> None:
    async with system.gateway.client() as client:
        email = unique_email()
        await register(client, email)
        wrong = {"email": email, "password": "wrong password!"}
        for _ in range(3):
            assert (await client.post("/api/v1/auth/login", json=wrong)).status_code == 401
        limited = await client.post(
            "/api/v1/auth/login", json={"email": email, "password": "correct horse battery"}
        )
        assert limited.status_code == 429
        assert 0 < int(limited.headers["retry-after"]) <= 900
        assert limited.json()["error"]["code"] == "rate_limited"


async def test_unknown_routes_and_documents(system: GatewaySystem) -> None:
    async with system.gateway.client() as client:
        missing = await client.get("/api/v1/nowhere")
        assert missing.status_code == 404
        assert missing.json()["error"]["code"] == "not_found"
        wrong_method = await client.put("/api/v1/users/me")
        assert wrong_method.status_code == 405
        openapi = (await client.get("/openapi.json")).json()
        assert openapi["openapi"] == "3.1.0"
        assert "/api/v1/auth/register" in openapi["paths"]
        asyncapi = (await client.get("/asyncapi.json")).json()
        assert "token.revoked" in asyncapi["channels"]
        assert (await client.get("/healthz")).json() == {"status": "ok"}
