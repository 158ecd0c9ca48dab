"""Settings, read once from `ECO2_*` environment variables, frozen, failing fast and clearly."""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from journal.faults import Faults
from objects.ports import check_key

ENV_PREFIX = "ECO2_"


class SettingsError(Exception):
    """A setting is missing or malformed; the message names the environment variable."""


def _scheme(url: str, allowed: tuple[str, ...], name: str) -> str:
    scheme = urlsplit(url).scheme
    if scheme not in allowed:
        raise ValueError(f"{name} must start with one of {', '.join(s + '://' for s in allowed)}")
    return url


class OAuthProviderSettings(BaseModel):
    """One OAuth 2 provider: `ECO2_OAUTH_<PROVIDER>__CLIENT_ID` and so on."""

    model_config = ConfigDict(frozen=True)

    client_id: str = ""
    client_secret: SecretStr = SecretStr("")
    authorize_url: str = ""
    token_url: str = ""
    userinfo_url: str = ""
    scope: str = ""

    @property
    def enabled(self) -> bool:
        return bool(self.client_id)


OAUTH_ENDPOINTS: dict[str, dict[str, str]] = {
    "google": {
        "authorize_url": "https://accounts.google.com/o/oauth2/v2/auth",
        "token_url": "https://oauth2.googleapis.com/token",
        "userinfo_url": "https://openidconnect.googleapis.com/v1/userinfo",
        "scope": "openid email profile",
    },
    "kakao": {
        "authorize_url": "https://kauth.kakao.com/oauth/authorize",
        "token_url": "https://kauth.kakao.com/oauth/token",
        "userinfo_url": "https://kapi.kakao.com/v2/user/me",
        "scope": "account_email profile_nickname",
    },
    "naver": {
        "authorize_url": "https://nid.naver.com/oauth2.0/authorize",
        "token_url": "https://nid.naver.com/oauth2.0/token",
        "userinfo_url": "https://openapi.naver.com/v1/nid/me",
        "scope": "",
    },
}


# The public operation URL (services.places.importers.keco_api.DEFAULT_BASE_URL).
KECO_API_URL = "https://apis.data.go.kr/B552584/kecoapi/rtrvlCmpnPositnService/getCmpnPositnInfo"


class Settings(BaseSettings):
    """Every knob of every process. Helm values and compose files use the same names."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, frozen=True, extra="ignore", env_nested_delimiter="__"
    )

    bus_url: str = "memory://"
    database_url: str = "embedded://"
    redis_url: str = "memory://"
    # Connections of a process's Redis pool for request handling (a request past it waits).
    redis_pool_size: int = Field(default=100, ge=1)
    # Seconds a Redis reply is awaited. Above the longest blocking read (an SSE stream's
    # XREAD waits up to its keep-alive, 15 s): redis-py's own default (5 s) broke every
    # stream that waited longer for its next event.
    redis_socket_timeout: float = Field(default=30.0, gt=15.0)
    object_store_url: str = ""
    # S3-compatible endpoint (MinIO, moto); unset, AWS_ENDPOINT_URL or AWS itself.
    # Credentials and region come from the standard AWS_* variables.
    s3_endpoint_url: str | None = None
    ai_provider: Literal["offline", "openai"] = "offline"
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
    # Seconds a disposal rule stays in the Redis cache of the recycling service.
    recycling_cache_ttl: int = Field(default=3600, ge=1)
    # Seconds a page of nearby places stays in the Redis cache (an import drops them all).
    places_cache_ttl: int = Field(default=30, ge=1)
    # The KECO open-data API operation `eco2 places import --from keco-api` pages through.
    keco_api_base_url: str = KECO_API_URL

    # The AI worker. `openai` speaks to any OpenAI-compatible endpoint; the request rate and
    # concurrency limits are shared by every AI worker replica through Redis.
    ai_cache_ttl: int = Field(default=7 * 24 * 3600, ge=0)
    openai_base_url: str = "https://api.openai.com/v1"
    openai_api_key: SecretStr | None = None
    openai_model: str = Field(default="gpt-4o-mini", min_length=1)
    openai_timeout: float = Field(default=30.0, gt=0)
    openai_max_retries: int = Field(default=2, ge=0, le=10)
    openai_requests_per_minute: int = Field(default=500, ge=1)
    openai_max_concurrency: int = Field(default=16, ge=1)

    # Chat with 이코. The service enforces the budget and bounds the history it sends; the
    # AI worker writes each answer, in batches of deltas (every `chat_batch_interval`
    # seconds or `chat_batch_tokens` tokens), the offline coach at `chat_words_per_second`.
    openai_chat_model: str = Field(default="gpt-4o-mini", min_length=1)
    chat_daily_tokens: int = Field(default=50_000, ge=1)
    chat_history_tokens: int = Field(default=2_000, ge=0)
    chat_reply_max_tokens: int = Field(default=400, ge=16, le=8_000)
    chat_reply_timeout: float = Field(default=300.0, gt=0)
    chat_messages_per_minute: int = Field(default=10, ge=1)
    chat_batch_interval: float = Field(default=0.08, gt=0, le=1.0)
    chat_batch_tokens: int = Field(default=32, ge=1)
    chat_words_per_second: float = Field(default=20.0, gt=0)

    # Accounts and tokens. Without a secret, `eco2 up` keeps one in ECO2_DATA_DIR/jwt-secret;
    # a process against real services refuses to start.
    jwt_secret: SecretStr | None = Field(default=None, min_length=32)
    access_token_ttl: int = Field(default=15 * 60, ge=30, le=24 * 3600)
    refresh_token_ttl: int = Field(default=14 * 24 * 3600, ge=60)
    password_min_length: int = Field(default=10, ge=8, le=128)
    password_hash_memory_kib: int = Field(default=64 * 1024, ge=1024)
    password_hash_iterations: int = Field(default=3, ge=1)

    # Gateway limits.
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    # Failed sign-ins in a window: per (email, client address) pair, per client address,
    # and per email from every address (so that an attacker cannot lock the owner out).
    login_max_failures: int = Field(default=5, ge=1)
    login_max_failures_per_client: int = Field(default=50, ge=1)
    login_max_failures_per_email: int = Field(default=100, ge=1)
    login_failure_window: int = Field(default=15 * 60, ge=1)
    # Registrations per client address in `registration_window` seconds.
    registration_max_per_client: int = Field(default=20, ge=1)
    registration_window: int = Field(default=600, ge=1)
    # Peers whose X-Forwarded-For / X-Forwarded-Proto are believed (the ingress, a load
    # balancer): a JSON list of addresses or networks; `["*"]` trusts every peer. Empty:
    # the client address is the TCP peer's and forwarded headers are ignored.
    trusted_proxies: tuple[str, ...] = ()
    # Serve `/metrics` and `/asyncapi.json` on the gateway's HTTP listener as well (off:
    # metrics are on ECO2_METRICS_PORT only, which no Ingress routes).
    internal_routes: bool = False
    # Where clients reach the API (`https://api.example.com`), for the URLs the gateway
    # hands out (photo uploads); unset, they are paths to resolve against the API's URL.
    public_url: str = ""
    # Long-lived streams (SSE and WebSockets): open at once per user, and per gateway
    # instance (also the size of the Redis pool their blocking reads use).
    stream_max_per_user: int = Field(default=8, ge=1)
    stream_max_open: int = Field(default=200, ge=1)
    ws_send_queue: int = Field(default=256, ge=1)
    ws_heartbeat: float = Field(default=20.0, gt=0)
    event_log_retention: int = Field(default=24 * 3600, ge=60)
    event_log_max_len: int = Field(default=1000, ge=10)
    # SSE: how long a stream with no event yet (and not announced by this API) is awaited
    # before a 404. A reply this API accepted is announced, so it is awaited however long.
    sse_wait_unknown: float = Field(default=10.0, gt=0)

    # OAuth 2 sign-in (authorization code + PKCE). A provider is on once it has a client id.
    oauth_redirect_uris: tuple[str, ...] = ()
    # Each field left empty takes the provider's public endpoint (`OAUTH_ENDPOINTS`).
    oauth_google: OAuthProviderSettings = OAuthProviderSettings()
    oauth_kakao: OAuthProviderSettings = OAuthProviderSettings()
    oauth_naver: OAuthProviderSettings = OAuthProviderSettings()

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
        if "://" not in value:
            return value  # a local directory (empty: ECO2_DATA_DIR/objects)
        parts = urlsplit(value)
        if parts.scheme != "s3" or not parts.netloc or parts.query or parts.fragment:
            raise ValueError("must be a local directory or s3://bucket[/prefix]")
        if prefix := parts.path.strip("/"):
            check_key(prefix)
        return value

    @field_validator("s3_endpoint_url")
    @classmethod
    def _s3_endpoint(cls, value: str | None) -> str | None:
        return None if value is None else _scheme(value, ("http", "https"), "the S3 endpoint")

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str) -> str:
        return value and _scheme(value, ("http", "https"), "the public URL")

    @field_validator("openai_base_url")
    @classmethod
    def _openai(cls, value: str) -> str:
        return _scheme(value, ("http", "https"), "the OpenAI-compatible base URL")

    @field_validator("keco_api_base_url")
    @classmethod
    def _keco(cls, value: str) -> str:
        return _scheme(value, ("http", "https"), "the KECO API base URL")

    @field_validator("faults")
    @classmethod
    def _faults(cls, value: str) -> str:
        Faults.parse(value)
        return value

    def oauth_provider(self, name: str) -> OAuthProviderSettings:
        """Provider `name`'s settings, empty fields filled from its public endpoints."""
        match name:
            case "google":
                configured = self.oauth_google
            case "kakao":
                configured = self.oauth_kakao
            case "naver":
                configured = self.oauth_naver
            case _:
                raise KeyError(name)
        given = configured.model_dump(exclude_defaults=True)
        return configured.model_copy(update={**OAUTH_ENDPOINTS[name], **given})

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
