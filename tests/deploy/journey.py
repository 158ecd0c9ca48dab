"""A person's first scan, through whatever gateway a deployment put in front of them."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import Sequence
from typing import Any

import httpx

from support.images import jpeg

CLEAR_PET = "라벨 뗀 투명 페트병"


async def register_scan_and_earn(gateways: Sequence[str], timeout: float = 90) -> dict[str, Any]:
    """register → scan a clear PET bottle → completed with 페티 as the reward.

    Each request goes to the next gateway address in turn, as a Service spreads them, so
    with two gateways the registration, the upload and the polling meet different pods.
    """
    assert gateways, "no gateway to talk to"
    turn = itertools.cycle(gateways)
    async with httpx.AsyncClient(timeout=30) as client:

        def url(path: str) -> str:
            return f"{next(turn)}{path}"

        account = {
            "email": f"deploy-{uuid.uuid4().hex[:10]}@example.com",
            "password": "recycle every single day",
            "nickname": "mina",
        }
        registered = await client.post(url("/api/v1/auth/register"), json=account)
        assert registered.status_code == 201, registered.text
        bearer = {"Authorization": f"Bearer {registered.json()['access_token']}"}
        posted = await client.post(
            url("/api/v1/scans"),
            files={"image": ("bottle.jpg", jpeg(320, 240), "image/jpeg")},
            data={"hint": CLEAR_PET},
            headers=bearer,
        )
        assert posted.status_code == 202, posted.text
        scan_id = posted.json()["id"]
        view: dict[str, Any] = {}
        try:
            async with asyncio.timeout(timeout):
                while view.get("status") not in ("completed", "failed"):
                    await asyncio.sleep(0.2)
                    polled = await client.get(url(f"/api/v1/scans/{scan_id}"), headers=bearer)
                    assert polled.status_code == 200, polled.text
                    view = polled.json()
        except TimeoutError:
            raise AssertionError(f"the scan did not finish in {timeout} s: {view}") from None
        assert view["status"] == "completed", view
        reward = view["result"]["reward"]
        assert reward["character"]["name"] == "페티", view
        assert reward["status"] == "newly_acquired", view
        return view
