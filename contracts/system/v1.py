"""`system.*` v1: ping/pong through the bus (frozen once published)."""

from typing import ClassVar

from pydantic import Field

from contracts.envelope import Payload


class Ping(Payload):
    """Asks the `system` consumer group to answer; with `reply_to` it replies with a Pong."""

    __message_type__: ClassVar[str] = "system.ping"
    __version__: ClassVar[int] = 1

    note: str = Field(default="", max_length=1000)


class Pong(Payload):
    """The answer to a Ping: which ping, and which process handled it."""

    __message_type__: ClassVar[str] = "system.pong"
    __version__: ClassVar[int] = 1

    ping_id: str
    note: str
    handled_by: str
