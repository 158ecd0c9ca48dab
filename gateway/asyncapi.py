"""The AsyncAPI 2.6 document of the bus, generated from the contract registry and topology.

Every message type is one channel: the routing key on the topic exchange `eco2.events`.
Its message is the envelope with that type's newest payload schema.
"""

from __future__ import annotations

import json
from typing import Any

from bus.ports import EVENTS_EXCHANGE
from contracts import Registry
from contracts.schema import schemas

SCHEMAS = "#/components/schemas/"


def _hoist(schema: dict[str, Any], into: dict[str, Any]) -> dict[str, Any]:
    """Move a JSON Schema's `$defs` into `components.schemas`, rewriting its references."""
    defs = schema.pop("$defs", {})
    text = json.dumps(schema).replace('"#/$defs/', f'"{SCHEMAS}')
    for name, sub in defs.items():
        into.setdefault(name, json.loads(json.dumps(sub).replace('"#/$defs/', f'"{SCHEMAS}')))
    out: dict[str, Any] = json.loads(text)
    return out


def document(registry: Registry, *, title: str, version: str) -> dict[str, Any]:
    components: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    channels: dict[str, Any] = {}
    exported = schemas(registry)
    components["Envelope"] = _hoist(exported.pop("envelope"), components)
    newest = {m.__message_type__: m.__version__ for m in registry.models()}
    for key, schema in exported.items():
        message_type = schema["x-message-type"]
        model_version = schema["x-message-version"]
        name = key.replace(".", "_")
        components[name] = _hoist(schema, components)
        messages[name] = {
            "name": message_type,
            "title": f"{message_type} v{model_version}",
            "summary": schema.get("description", "").split("\n")[0],
            "contentType": "application/json",
            "headers": {
                "type": "object",
                "properties": {"type": {"const": message_type}, "version": {"type": "integer"}},
            },
            "payload": {
                "allOf": [
                    {"$ref": SCHEMAS + "Envelope"},
                    {
                        "type": "object",
                        "properties": {
                            "type": {"const": message_type},
                            "version": {"const": model_version},
                            "payload": {"$ref": SCHEMAS + name},
                        },
                    },
                ]
            },
        }
        if model_version != newest[message_type]:
            continue
        versions = [
            {"$ref": f"#/components/messages/{k.replace('.', '_')}"}
            for k, s in exported.items()
            if s["x-message-type"] == message_type
        ]
        message = versions[0] if len(versions) == 1 else {"oneOf": versions}
        channels[message_type] = {
            "description": f"routing key `{message_type}` on the topic exchange",
            "bindings": {
                "amqp": {
                    "is": "routingKey",
                    "exchange": {"name": EVENTS_EXCHANGE, "type": "topic", "durable": True},
                    "bindingVersion": "0.2.0",
                }
            },
            "publish": {"operationId": f"publish_{name}", "message": message},
            "subscribe": {"operationId": f"consume_{name}", "message": message},
        }
    return {
        "asyncapi": "2.6.0",
        "info": {"title": title, "version": version},
        "defaultContentType": "application/json",
        "servers": {"rabbitmq": {"url": "amqp://localhost:5672/", "protocol": "amqp"}},
        "channels": dict(sorted(channels.items())),
        "components": {"messages": messages, "schemas": components},
    }
