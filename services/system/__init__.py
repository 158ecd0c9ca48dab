"""Diagnostics over the bus: answers `system.ping`, so any AMQP client can check a deployment."""
