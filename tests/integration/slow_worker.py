"""A consumer process for crash tests: handles `testbus.note` slowly, logging each one done.

python -m tests.integration.slow_worker GROUP LOGFILE   (bus and prefetch from ECO2_*)
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Any

from bus.ports import Message, Subscription
from services.runtime.resources import build_bus
from services.runtime.settings import load_settings
from tests.contract.messages import registry


async def main(group: str, log: Path) -> None:
    bus = build_bus(load_settings(), registry())

    async def handle(message: Message[Any]) -> None:
        await asyncio.sleep(0.2)
        with log.open("a") as out:
            out.write(f"{message.payload.text} {message.attempt} {os.getpid()}\n")

    bus.subscribe(Subscription(group, ["testbus.note"], handle))
    await bus.start()
    print("worker ready", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], Path(sys.argv[2])))
