"""Settings are read once from ECO2_* and fail naming the bad variable."""

from __future__ import annotations

import pytest

from services.runtime.settings import SettingsError, load_settings


def test_defaults_are_the_embedded_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ECO2_BUS_URL", "ECO2_DATABASE_URL", "ECO2_REDIS_URL", "ECO2_HTTP_PORT"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()
    assert (settings.bus_url, settings.database_url, settings.redis_url) == (
        "memory://",
        "embedded://",
        "memory://",
    )
    assert settings.http_port == 8000
    assert settings.objects_location.endswith("objects")


def test_environment_is_read_and_frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECO2_BUS_URL", "amqp://guest:guest@rabbit:5672/")
    monkeypatch.setenv("ECO2_PREFETCH", "64")
    settings = load_settings()
    assert settings.bus_url.startswith("amqp://")
    assert settings.prefetch == 64
    with pytest.raises(ValueError, match="frozen"):
        settings.prefetch = 1  # type: ignore[misc]


def test_bad_values_name_their_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECO2_HTTP_PORT", "eighty")
    monkeypatch.setenv("ECO2_BUS_URL", "kafka://broker")
    monkeypatch.setenv("ECO2_PREFETCH", "0")
    with pytest.raises(SettingsError) as failed:
        load_settings()
    text = str(failed.value)
    assert "ECO2_HTTP_PORT" in text
    assert "ECO2_BUS_URL: " in text
    assert "amqp://" in text
    assert "ECO2_PREFETCH" in text


@pytest.mark.parametrize("value", ["var/objects", "/srv/objects", "s3://eco2-photos", "s3://b/p/q"])
def test_the_object_store_is_a_directory_or_an_s3_url(value: str) -> None:
    assert load_settings(object_store_url=value).objects_location == value


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("object_store_url", "gs://bucket"),
        ("object_store_url", "s3:///no-bucket"),
        ("object_store_url", "s3://bucket/../up"),
        ("s3_endpoint_url", "minio:9000"),
    ],
)
def test_bad_object_store_settings_are_named(variable: str, value: str) -> None:
    with pytest.raises(SettingsError, match=f"ECO2_{variable.upper()}"):
        load_settings(**{variable: value})
