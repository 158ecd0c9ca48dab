"""The RabbitMQ transport on FastStream's RabbitBroker."""

from bus.rabbit.transport import RabbitBus

__all__ = ["RabbitBus"]
