"""`python -m bench.scan_load <sub-command>`: the benchmark, or one of its processes."""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from pathlib import Path
from typing import Any

from bench.scan_load import __doc__ as DOC


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.scan_load", description=(DOC or "").splitlines()[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="the whole benchmark (starts everything below)")
    run.add_argument("--scans", type=int, default=1000)
    run.add_argument("--users", type=int, default=10)
    _latencies(run)
    run.add_argument("--timeout", type=float, default=180.0, help="seconds for the load")
    run.add_argument("--keep", action="store_true", help="keep logs and data")

    fake = commands.add_parser("fake", help="serve the fake OpenAI-compatible provider")
    fake.add_argument("port", type=int)
    _latencies(fake)

    raw = commands.add_parser("raw", help="the raw baseline: model calls straight to a fake")
    raw.add_argument("base", help="the fake's base URL, e.g. http://127.0.0.1:8000/v1")
    raw.add_argument("--scans", type=int, required=True)
    raw.add_argument("--timeout", type=float, default=180.0)

    load = commands.add_parser("load", help="submit scans to a gateway and follow them")
    load.add_argument("base", help="the gateway's base URL")
    load.add_argument("--tokens", type=Path, required=True, help="a JSON list of tokens")
    load.add_argument("--scans", type=int, required=True)
    load.add_argument("--timeout", type=float, default=180.0)
    load.add_argument("--warmup", action="store_true", help="photos apart from the load's")
    load.add_argument("--mark", type=Path, help="a file created once every scan is followed")

    options = parser.parse_args(argv)
    if getattr(options, "scans", 1) < 1 or getattr(options, "users", 1) < 1:
        parser.error("--scans and --users must be at least 1")
    return options


def _latencies(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--vision", type=float, default=4.5, help="seconds per vision call")
    parser.add_argument("--answer", type=float, default=4.8, help="seconds per answer call")


async def _guarded(options: argparse.Namespace) -> int:
    """The benchmark, cancelled (so everything it started is stopped) on SIGTERM as on Ctrl-C."""
    from bench.scan_load.run import main

    task = asyncio.current_task()
    assert task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    return await main(options)


def _print_json(result: dict[str, Any]) -> int:
    print(json.dumps(result))
    return 0


def entry(options: argparse.Namespace) -> int:
    match options.command:
        case "fake":
            from support import fake_openai

            fake_openai.run(options.port, options.vision, options.answer)
            return 0
        case "raw":
            from bench.scan_load.calls import raw_pairs

            return _print_json(asyncio.run(raw_pairs(options.base, options.scans, options.timeout)))
        case "load":
            from bench.scan_load.load import load_scans

            tokens = json.loads(options.tokens.read_text())
            scans = load_scans(
                options.base, tokens, options.scans, options.timeout, options.warmup, options.mark
            )
            return _print_json(asyncio.run(scans))
        case _:
            return asyncio.run(_guarded(options))


if __name__ == "__main__":
    sys.exit(entry(parse()))
