"""The composition root's choice of provider, cache and limiter from the settings."""

from __future__ import annotations

import fakeredis
import pytest

from services.ai.cache import CachedProvider
from services.ai.limiter import LocalLimiter, RedisLimiter
from services.ai.offline import OfflineProvider
from services.runtime.resources import build_limiter, build_provider
from services.runtime.settings import SettingsError, load_settings


async def test_the_openai_provider_sits_behind_the_cache() -> None:
    settings = load_settings(
        ai_provider="openai", openai_base_url="http://127.0.0.1:9/v1", openai_model="tiny-vlm"
    )
    provider = build_provider(settings, fakeredis.FakeAsyncRedis())
    assert isinstance(provider, CachedProvider)
    assert provider.model == "tiny-vlm"


def test_a_zero_retention_turns_the_cache_off() -> None:
    provider = build_provider(load_settings(ai_cache_ttl=0), fakeredis.FakeAsyncRedis())
    assert isinstance(provider, OfflineProvider)


def test_the_limits_are_shared_through_a_real_redis_only() -> None:
    redis = fakeredis.FakeAsyncRedis()
    assert isinstance(build_limiter(load_settings(), redis), LocalLimiter)
    shared = load_settings(redis_url="redis://127.0.0.1:6379/0")
    assert isinstance(build_limiter(shared, redis), RedisLimiter)


def test_a_bad_openai_setting_names_its_variable() -> None:
    with pytest.raises(SettingsError, match="ECO2_OPENAI_BASE_URL"):
        load_settings(openai_base_url="ftp://example")
    with pytest.raises(SettingsError, match="ECO2_AI_PROVIDER"):
        load_settings(ai_provider="anthropic")
