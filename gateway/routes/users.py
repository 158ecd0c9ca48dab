"""`/api/v1/users/me`: the caller's profile (queries to the accounts service)."""

from __future__ import annotations

import time

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from contracts.accounts.v1 import DeleteUser, GetUser, Profile, UpdateUser
from contracts.envelope import Payload
from gateway.bodies import read_model
from gateway.context import Gateway
from gateway.models import ProfileOut, UpdateMeBody
from gateway.routing import Operation


def profile(reply: Profile) -> Response:
    return JSONResponse(ProfileOut.of(reply.user).model_dump(mode="json"))


def operations(gw: Gateway) -> list[Operation]:
    limit = gw.deps.limits.max_body_bytes

    async def get_me(request: Request) -> Response:
        caller = await gw.user(request)
        return profile(
            await gw.ask(GetUser(user_id=caller.user_id), Profile, user_id=caller.user_id)
        )

    async def update_me(request: Request) -> Response:
        caller = await gw.user(request)
        body = await read_model(request, UpdateMeBody, limit)
        query = UpdateUser(user_id=caller.user_id, nickname=body.nickname)
        return profile(await gw.ask(query, Profile, user_id=caller.user_id))

    async def delete_me(request: Request) -> Response:
        caller = await gw.user(request)
        await gw.ask(DeleteUser(user_id=caller.user_id), Payload, user_id=caller.user_id)
        gw.verifier.revocations.revoke_user(caller.user_id, time.time())
        return Response(status_code=204)

    path = "/api/v1/users/me"
    return [
        Operation(
            "GET",
            path,
            get_me,
            "The caller's profile",
            "users",
            response=ProfileOut,
            auth=True,
            errors=(401, 404, 503),
        ),
        Operation(
            "PATCH",
            path,
            update_me,
            "Change the caller's nickname",
            "users",
            UpdateMeBody,
            response=ProfileOut,
            auth=True,
            errors=(400, 401, 404, 413, 415, 422, 503),
        ),
        Operation(
            "DELETE",
            path,
            delete_me,
            "Erase the caller's account and data",
            "users",
            status=204,
            auth=True,
            errors=(401, 404, 503),
        ),
    ]
