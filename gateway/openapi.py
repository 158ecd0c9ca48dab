"""The OpenAPI 3.1 document, generated from the route table and its pydantic models."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from gateway.bodies.errors import ErrorOut
from gateway.errors import _CODES
from gateway.routing import Operation

REF = "#/components/schemas/{model}"
PATH_PARAM = re.compile(r"{([^}:]+)(?::[^}]+)?}")


def document(operations: Sequence[Operation], *, title: str, version: str) -> dict[str, Any]:
    models: set[type[BaseModel]] = {ErrorOut}
    for op in operations:
        models.update(m for m in (op.request, op.response) if m is not None)
    ordered = sorted(models, key=lambda m: m.__name__)
    _, defs = models_json_schema([(m, "validation") for m in ordered], ref_template=REF)
    paths: dict[str, dict[str, Any]] = {}
    for op in operations:
        if op.documented:
            path = PATH_PARAM.sub(r"{\1}", op.path)
            paths.setdefault(path, {})[op.method.lower()] = _operation(op, path)
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "paths": paths,
        "components": {
            "schemas": defs.get("$defs", {}),
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            },
        },
    }


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": REF.format(model=model.__name__)}


def _path_schema(choices: tuple[str, ...] | None) -> dict[str, Any]:
    return {"type": "string", "enum": list(choices)} if choices else {"type": "string"}


def _operation(op: Operation, path: str) -> dict[str, Any]:
    name = re.sub(r"[^a-zA-Z0-9]+", "_", f"{op.method.lower()}{path}").strip("_")
    out: dict[str, Any] = {"operationId": name, "summary": op.summary, "tags": [op.tag]}
    choices = dict(op.path_choices)
    params = [
        {"name": p, "in": "path", "required": True, "schema": _path_schema(choices.get(p))}
        for p in PATH_PARAM.findall(op.path)
    ]
    params += [
        {
            "name": p.name,
            "in": p.where,
            "required": p.required,
            "description": p.description,
            "schema": {"type": "string"},
        }
        for p in op.params
    ]
    if params:
        out["parameters"] = params
    if op.request is not None:
        out["requestBody"] = {
            "required": op.request_required,
            "content": {"application/json": {"schema": _ref(op.request)}},
        }
    if op.auth:
        out["security"] = [{"bearer": []}]
    success: dict[str, Any] = {"description": _describe(op.status)}
    if op.response is not None:
        success["content"] = {op.media: {"schema": _ref(op.response)}}
    elif op.media == "text/event-stream":
        success["content"] = {op.media: {"schema": {"type": "string"}}}
    responses: dict[str, Any] = {str(op.status): success}
    errors = {*op.errors, *((401,) if op.auth else ())}
    for status in sorted(errors):
        responses[str(status)] = {
            "description": _CODES.get(status, "error").replace("_", " "),
            "content": {"application/json": {"schema": _ref(ErrorOut)}},
        }
    out["responses"] = responses
    return out


def _describe(status: int) -> str:
    return {
        101: "switching protocols (WebSocket)",
        201: "created",
        204: "no content",
        302: "redirect",
    }.get(status, "ok")
