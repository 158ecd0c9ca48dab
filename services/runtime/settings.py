"""Settings, read once from `ECO2_*` environment variables, frozen, failing fast and clearly."""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from journal.faults import Faults

ENV_PREFIX = "ECO2_"


class SettingsError(Exception):
    """A setting is missing or malformed; the message names the environment variable."""


def _scheme(url: str, allowed: tuple[str, ...], name: str) -> str:
    scheme = urlsplit(url).scheme
    if scheme not in allowed:
        raise ValueError(f"{name} must start with one of {', '.join(s + '://' for s in allowed)}")
    return url


class Settings(BaseSettings):
    """Every knob of every process. Helm values and compose files use the same names."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, frozen=True, extra="ignore")

    bus_url: str = "memory://"
    database_url: str = "embedded://"
    redis_url: str = "memory://"
    object_store_url: str = ""
    ai_provider: Literal["offline"] = "offline"
    data_dir: Path = Path("var")

    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8000, ge=1, le=65535)
    metrics_port: int = Field(default=0, ge=0, le=65535)

    prefetch: int = Field(default=32, ge=1, le=10_000)
    max_attempts: int = Field(default=5, ge=1, le=100)
    retry_base_delay: float = Field(default=0.2, gt=0)
    retry_max_delay: float = Field(default=30.0, gt=0)
    delivery_limit: int = Field(default=20, ge=1)
    request_timeout: float = Field(default=5.0, gt=0)
    shutdown_grace: float = Field(default=10.0, ge=0)
    database_pool_size: int = Field(default=10, ge=1)

    journal_synchronous: Literal["NORMAL", "FULL"] = "NORMAL"
    sync_batch_size: int = Field(default=500, ge=1, le=50_000)
    sync_max_delay: float = Field(default=0.2, gt=0)
    recovery_delay: float = Field(default=30.0, ge=0)
    faults: str = ""
    max_image_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    otlp_endpoint: str | None = None

    @field_validator("bus_url")
    @classmethod
    def _bus(cls, value: str) -> str:
        return _scheme(value, ("memory", "amqp", "amqps"), "the bus URL")

    @field_validator("database_url")
    @classmethod
    def _database(cls, value: str) -> str:
        return _scheme(value, ("embedded", "postgresql", "postgres"), "the database URL")

    @field_validator("redis_url")
    @classmethod
    def _redis(cls, value: str) -> str:
        return _scheme(value, ("memory", "redis", "rediss", "unix"), "the Redis URL")

    @field_validator("object_store_url")
    @classmethod
    def _objects(cls, value: str) -> str:
        if "://" in value:
            raise ValueError("must be a local directory (S3 support arrives with the scan API)")
        return value

    @field_validator("faults")
    @classmethod
    def _faults(cls, value: str) -> str:
        Faults.parse(value)
        return value

    @property
    def journal_dir(self) -> Path:
        return self.data_dir / "journal"

    @property
    def objects_location(self) -> str:
        """Where images are stored: `s3://bucket/prefix` or a local directory."""
        return self.object_store_url or str(self.data_dir / "objects")


def load_settings(**overrides: object) -> Settings:
    """Read the environment once; raise SettingsError naming each bad variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else "?"
            problems.append(f"{ENV_PREFIX}{field.upper()}: {error['msg']}")
        raise SettingsError("invalid settings:\n  " + "\n  ".join(problems)) from None
