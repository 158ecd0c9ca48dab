"""Delivery policy: how many attempts, and how long to wait before each retry."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff `base * factor**(attempt-1)`, capped; dead-letter past `max_attempts`.

    Delays are rounded up to a fixed set of tiers so the RabbitMQ transport needs only a few
    delay queues per group.
    """

    max_attempts: int = 5
    base_delay: float = 0.2
    factor: float = 4.0
    max_delay: float = 30.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if not 0 < self.base_delay <= self.max_delay:
            raise ValueError("need 0 < base_delay <= max_delay")

    def tiers(self) -> tuple[float, ...]:
        """Every distinct delay this policy can produce, ascending."""
        out: list[float] = []
        delay = self.base_delay
        while delay < self.max_delay:
            out.append(round(delay, 3))
            delay *= self.factor
        out.append(self.max_delay)
        return tuple(out)

    def delay(self, attempt: int, requested: float | None = None) -> float:
        """The delay before retrying after failed `attempt` (1-based), snapped to a tier."""
        wanted = (
            requested
            if requested is not None
            else self.base_delay * self.factor ** max(attempt - 1, 0)
        )
        for tier in self.tiers():
            if wanted <= tier:
                return tier
        return self.max_delay

    def exhausted(self, attempt: int) -> bool:
        return attempt >= self.max_attempts
