"""The raw baseline: the AI worker's model calls, made with httpx straight to the fake."""

from __future__ import annotations

import asyncio
import json
import ssl
import time
from typing import Any

import httpx

from bench.scan_load.measure import percentile
from services.ai import prompts
from support.fake_openai import CLASSIFICATION, MODEL
from support.images import numbered

HINT = "라벨 뗀 투명 페트병"


def vision_body(jpeg: bytes) -> dict[str, Any]:
    """The vision request the `openai` provider sends, built by the same prompt code."""
    return {
        "model": MODEL,
        "messages": prompts.classify_messages(HINT, jpeg),
        "response_format": {
            "type": "json_schema",
            "json_schema": {
                "name": "classification",
                "strict": True,
                "schema": prompts.CLASSIFICATION_SCHEMA,
            },
        },
        "temperature": 0.0,
    }


def answer_body() -> dict[str, Any]:
    facts = {"분류": CLASSIFICATION, "배출 방법": ["내용물을 비워요", "라벨을 떼요"]}
    return {
        "model": MODEL,
        "messages": [
            {"role": "system", "content": prompts.PERSONA},
            {"role": "user", "content": json.dumps(facts, ensure_ascii=False)},
        ],
        "max_tokens": 400,
        "temperature": 0.4,
    }


async def raw_pairs(base: str, count: int, timeout: float) -> dict[str, Any]:
    """`count` concurrent (vision, then answer) call pairs with httpx; their latencies.

    Each pair has a client (one keep-alive connection) of its own: httpcore's pool scans
    every connection for every request, which at a thousand connections would cost the
    baseline more CPU than the calls themselves.
    """
    bodies = [json.dumps(vision_body(numbered(i))).encode() for i in range(count)]
    answer = json.dumps(answer_body()).encode()
    headers = {"Content-Type": "application/json"}
    latencies: list[float] = []
    errors: list[str] = []
    context = ssl.create_default_context()  # unused on http://, built once, not per client
    clients = [
        httpx.AsyncClient(base_url=base, timeout=timeout, verify=context) for _ in range(count)
    ]
    try:

        async def pair(i: int) -> None:
            started = time.perf_counter()
            try:
                for body in (bodies[i], answer):
                    response = await clients[i].post(
                        "/chat/completions", content=body, headers=headers
                    )
                    response.raise_for_status()
                    response.json()["choices"][0]["message"]["content"]
            except Exception as exc:  # counted and shown, not raised: a baseline, not a test
                errors.append(f"{type(exc).__name__}: {exc}")
                return
            latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(pair(i) for i in range(count)))
        elapsed = time.perf_counter() - started
    finally:
        await asyncio.gather(*(client.aclose() for client in clients))
    return {
        "p50": percentile(latencies, 0.5),
        "p95": percentile(latencies, 0.95),
        "max": max(latencies, default=float("nan")),
        "ok": len(latencies),
        "errors": len(errors),
        "first_error": errors[0] if errors else "",
        "elapsed": elapsed,
    }
