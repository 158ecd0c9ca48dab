"""The message bus: one port (`bus.ports`), two transports (`bus.memory`, `bus.rabbit`)."""
