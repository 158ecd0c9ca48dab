"""The RabbitMQ transport, on aio-pika (ADR 0015)."""

from bus.rabbit.transport import RabbitBus

__all__ = ["RabbitBus"]
