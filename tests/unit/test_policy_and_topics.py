"""Retry delays and topic matching."""

from __future__ import annotations

import pytest

from bus.codec import Delivery
from bus.policy import RetryPolicy
from bus.topics import matches


def test_backoff_grows_by_tiers_and_is_capped() -> None:
    policy = RetryPolicy(max_attempts=6, base_delay=0.2, factor=4, max_delay=30)
    assert policy.tiers() == (0.2, 0.8, 3.2, 12.8, 30.0)
    assert [policy.delay(a) for a in range(1, 7)] == [0.2, 0.8, 3.2, 12.8, 30.0, 30.0]
    assert policy.delay(1, requested=1.0) == 3.2, "a requested delay rounds up to a tier"
    assert policy.exhausted(6)
    assert not policy.exhausted(5)


def test_policy_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError, match="base_delay"):
        RetryPolicy(base_delay=5, max_delay=1)


def test_attempt_counts_our_retries_and_broker_redeliveries() -> None:
    assert Delivery(b"", {}, "a.b").attempt == 1
    assert Delivery(b"", {"x-eco2-attempt": 3}, "a.b").attempt == 3
    assert Delivery(b"", {"x-eco2-attempt": 2}, "a.b", redeliveries=2).attempt == 4
    assert Delivery(b"", {"x-eco2-attempt": "junk"}, "a.b").attempt == 1


@pytest.mark.parametrize(
    ("pattern", "key", "expected"),
    [
        ("scan.requested", "scan.requested", True),
        ("scan.*", "scan.requested", True),
        ("scan.*", "scan.a.b", False),
        ("scan.#", "scan", True),
        ("scan.#", "scan.a.b", True),
        ("#", "anything.at.all", True),
        ("*.completed", "scan.completed", True),
        ("#.completed", "a.b.completed", True),
        ("user.*", "scan.completed", False),
    ],
)
def test_topic_patterns_match_like_amqp(pattern: str, key: str, expected: bool) -> None:
    assert matches(pattern, key) is expected
