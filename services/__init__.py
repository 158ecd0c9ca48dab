"""Domain services, the journaled workers, and the runtime that wires them."""
