"""`/api/v1/characters` and `/api/v1/users/me/characters`: the collectible characters.

The catalog is public; the caller's collection needs a token. Both are queries to the
character service, answered with its contract models.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from contracts.character.v1 import Catalog, GetCatalog, GetOwned, Owned
from gateway.context import Gateway
from gateway.routing import Operation


async def catalog(request: Request) -> Response:
    answer = await Gateway.of(request).ask(GetCatalog(), Catalog)
    return JSONResponse(answer.model_dump(mode="json"))


async def owned(request: Request) -> Response:
    gw = Gateway.of(request)
    caller = await gw.user(request)
    answer = await gw.ask(GetOwned(user_id=caller.user_id), Owned, user_id=caller.user_id)
    return JSONResponse(answer.model_dump(mode="json"))


OPERATIONS = (
    Operation(
        "GET",
        "/api/v1/characters",
        catalog,
        "The 13 collectible characters",
        "characters",
        response=Catalog,
        errors=(503,),
    ),
    Operation(
        "GET",
        "/api/v1/users/me/characters",
        owned,
        "The characters the caller owns, oldest first",
        "characters",
        response=Owned,
        auth=True,
        errors=(401, 503),
    ),
)
