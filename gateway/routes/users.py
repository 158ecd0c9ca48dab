"""`/api/v1/users/me`: the caller's profile (queries to the accounts service)."""

from __future__ import annotations

import time

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from contracts.accounts.v1 import DeleteUser, GetUser, Profile, UpdateUser
from contracts.envelope import Payload
from gateway.bodies.parsing import read_model
from gateway.bodies.users import ProfileOut, UpdateMeBody
from gateway.context import Gateway
from gateway.routing import Operation


def profile(reply: Profile) -> Response:
    return JSONResponse(ProfileOut.of(reply.user).model_dump(mode="json"))


async def get_me(request: Request) -> Response:
    gw = Gateway.of(request)
    caller = await gw.user(request)
    return profile(await gw.ask(GetUser(user_id=caller.user_id), Profile, user_id=caller.user_id))


async def update_me(request: Request) -> Response:
    gw = Gateway.of(request)
    caller = await gw.user(request)
    body = await read_model(request, UpdateMeBody, gw.limits.max_body_bytes)
    query = UpdateUser(user_id=caller.user_id, nickname=body.nickname)
    return profile(await gw.ask(query, Profile, user_id=caller.user_id))


async def delete_me(request: Request) -> Response:
    gw = Gateway.of(request)
    caller = await gw.user(request)
    await gw.ask(DeleteUser(user_id=caller.user_id), Payload, user_id=caller.user_id)
    gw.verifier.revocations.revoke_user(caller.user_id, time.time())
    return Response(status_code=204)


PATH = "/api/v1/users/me"
OPERATIONS = (
    Operation(
        "GET",
        PATH,
        get_me,
        "The caller's profile",
        "users",
        response=ProfileOut,
        auth=True,
        errors=(401, 404, 503),
    ),
    Operation(
        "PATCH",
        PATH,
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
        PATH,
        delete_me,
        "Erase the caller's account and data",
        "users",
        status=204,
        auth=True,
        errors=(401, 404, 503),
    ),
)
