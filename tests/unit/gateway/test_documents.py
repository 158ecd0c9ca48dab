"""The OpenAPI and AsyncAPI documents: well formed, and complete."""

from __future__ import annotations

import fakeredis
from starlette.routing import Route, WebSocketRoute

from bus.memory import MemoryBus
from contracts.catalog import build_registry
from gateway import asyncapi, webapp
from gateway.app import OPERATIONS, GatewayDeps, build


def deps() -> GatewayDeps:
    registry = build_registry()
    bus = MemoryBus(registry)
    return GatewayDeps(
        publisher=bus,
        requester=bus,
        redis=fakeredis.FakeAsyncRedis(),
        registry=registry,
        jwt_secret="s" * 40,
        instance_id="test",
    )


def test_openapi_documents_every_route_with_its_models() -> None:
    from gateway import openapi

    app, subscriptions = build(deps())
    document = openapi.document(OPERATIONS, title="t", version="1")
    assert document["openapi"] == "3.1.0"
    for route in app.routes:
        assert isinstance(route, Route | WebSocketRoute)
        if route.path in webapp.PAGES or route.path.startswith("/assets/"):
            continue  # the web client's pages and files, not the API
        assert route.path in document["paths"], route.path
    register = document["paths"]["/api/v1/auth/register"]["post"]
    assert register["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/RegisterBody"
    }
    assert "201" in register["responses"]
    assert "422" in register["responses"]
    schemas = document["components"]["schemas"]
    assert {"RegisterBody", "TokensOut", "ProfileOut", "ErrorOut"} <= set(schemas)
    authorize = document["paths"]["/api/v1/auth/oauth/{provider}/authorize"]["get"]
    provider = next(p for p in authorize["parameters"] if p["name"] == "provider")
    assert provider["schema"] == {"type": "string", "enum": ["google", "kakao", "naver"]}
    assert document["paths"]["/api/v1/users/me"]["get"]["security"] == [{"bearer": []}]
    assert {s.group for s in subscriptions} == {"gateway.test", "gateway.events"}


def test_asyncapi_has_a_channel_per_message_type_and_resolvable_refs() -> None:
    registry = build_registry()
    document = asyncapi.document(registry, title="t", version="1")
    assert document["asyncapi"] == "2.6.0"
    assert set(document["channels"]) == set(registry.types)
    channel = document["channels"]["scan.progress"]
    assert channel["bindings"]["amqp"]["exchange"]["name"] == "eco2.events"
    schemas = document["components"]["schemas"]
    messages = document["components"]["messages"]

    def refs(node: object) -> list[str]:
        if isinstance(node, dict):
            found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
            return found + [r for v in node.values() for r in refs(v)]
        if isinstance(node, list):
            return [r for v in node for r in refs(v)]
        return []

    for ref in refs(document):
        kind, name = ref.removeprefix("#/components/").split("/", 1)
        assert name in (schemas if kind == "schemas" else messages), ref
