"""`/api/v1/recycling/*`: the waste taxonomy, disposal rules and item search (public).

Each route is one query to the recycling service; the answers are its contract models.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from contracts.recycling.v1 import (
    CategoryTree,
    DisposalRules,
    GetCategories,
    GetRules,
    Items,
    RulesFound,
    Search,
)
from gateway.bodies.parsing import validate
from gateway.context import Gateway
from gateway.routing import Operation, Param


async def categories(request: Request) -> Response:
    tree = await Gateway.of(request).ask(GetCategories(), CategoryTree)
    return JSONResponse(tree.model_dump(mode="json"))


async def rules(request: Request) -> Response:
    params = request.query_params
    fields = {name: params[name] for name in ("major", "middle") if name in params}
    found = await Gateway.of(request).ask(validate(GetRules, fields), RulesFound)
    return JSONResponse(found.rules.model_dump(mode="json"))


async def search(request: Request) -> Response:
    params = request.query_params
    fields = {name: params[name] for name in ("q", "limit") if name in params}
    found = await Gateway.of(request).ask(validate(Search, fields), Items)
    return JSONResponse(found.model_dump(mode="json"))


BASE = "/api/v1/recycling"
OPERATIONS = (
    Operation(
        "GET",
        f"{BASE}/categories",
        categories,
        "The waste taxonomy: major categories and their middle categories",
        "recycling",
        response=CategoryTree,
        errors=(503,),
    ),
    Operation(
        "GET",
        f"{BASE}/rules",
        rules,
        "How to dispose of one category",
        "recycling",
        response=DisposalRules,
        errors=(404, 422, 503),
        params=(
            Param("major", required=True, description="a major category code (Korean)"),
            Param("middle", description="its middle category; omit for a major without"),
        ),
    ),
    Operation(
        "GET",
        f"{BASE}/search",
        search,
        "Dictionary items named like a query (Korean or English, near misses included), "
        "best first, each with its category and notes",
        "recycling",
        response=Items,
        errors=(422, 503),
        params=(
            Param("q", required=True, description="1 to 100 characters"),
            Param("limit", description="1 to 100 (default 20)"),
        ),
    ),
)
