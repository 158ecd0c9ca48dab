"""What every benchmark shares: where the project and the real servers are, and a free port.

The server URLs follow the test suite's variables, so a benchmark runs against the same
RabbitMQ and PostgreSQL as `make test`.
"""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ECO2 = str(Path(sys.executable).with_name("eco2"))
RABBIT = os.environ.get("ECO2_TEST_RABBIT_URL", "amqp://guest:guest@127.0.0.1:5672/")
POSTGRES = os.environ.get("ECO2_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
