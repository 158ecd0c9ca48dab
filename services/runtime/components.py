"""The table of components: what each `eco2 run <name>` wires onto the shared resources."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING

import httpx

from bus.ports import Subscription
from journal.postgres.outbox import OutboxRelay
from journal.sqlite.store import Journal
from journal.sqlite.worker import JournaledWorker
from services.accounts import handlers as accounts_handlers
from services.accounts.oauth import OAuthClient, OAuthProviders
from services.accounts.passwords import Passwords
from services.accounts.revocations import Revocations
from services.accounts.sessions import Sessions
from services.accounts.store import SCHEMA as ACCOUNTS_SCHEMA
from services.accounts.store import Store as AccountsStore
from services.accounts.tokens import AccessTokens
from services.ai import handlers as ai_handlers
from services.ai import tasks as ai_tasks
from services.ai.chat import stops as chat_stops
from services.ai.chat import task as chat_task
from services.character import handlers as character_handlers
from services.character.catalog import CATALOG
from services.character.store import Store as CharacterStore
from services.chat import handlers as chat_handlers
from services.chat.store import SCHEMA as CHAT_SCHEMA
from services.chat.store import Store as ChatStore
from services.kit.worker import WorkerSpec
from services.places import handlers as places_handlers
from services.places.cache import Cache as PlacesCache
from services.places.hours import HolidayCalendar
from services.places.importing import changes as places_changes
from services.places.queries import Reader as PlacesReader
from services.places.store import Store as PlacesStore
from services.recycling import handlers as recycling_handlers
from services.recycling.cache import Cache as RecyclingCache
from services.recycling.content import load_catalog as load_recycling_catalog
from services.recycling.dictionary import load_dictionary
from services.recycling.matcher import Matcher
from services.recycling.queries import Reader as RecyclingReader
from services.recycling.queries import seed as seed_recycling
from services.recycling.store import Store as RecyclingStore
from services.runtime.resources import (
    Resources,
    build_chat_provider,
    build_provider,
    jwt_secret,
)
from services.runtime.workers import journaled
from services.scan import handlers as scan_handlers
from services.scan.store import SCHEMA as SCAN_SCHEMA
from services.scan.store import Store as ScanStore
from services.storage import handlers as storage_handlers
from services.system import handlers as system_handlers

if TYPE_CHECKING:
    from starlette.applications import Starlette

log = logging.getLogger("eco2")

Consumer = Callable[[Resources, AsyncExitStack], Awaitable[Sequence[Subscription]]]


async def system(resources: Resources, stack: AsyncExitStack) -> Sequence[Subscription]:
    return system_handlers.subscriptions()


def accounts_deps(resources: Resources, http: httpx.AsyncClient) -> accounts_handlers.Accounts:
    """The accounts handlers' dependencies, from the settings and shared resources."""
    settings = resources.settings
    clients = {}
    for name in ("google", "kakao", "naver"):
        provider = settings.oauth_provider(name)
        clients[name] = OAuthClient(
            client_id=provider.client_id,
            client_secret=provider.client_secret.get_secret_value(),
            token_url=provider.token_url,
            userinfo_url=provider.userinfo_url,
        )
    return accounts_handlers.Accounts(
        store=AccountsStore(resources.db),
        passwords=Passwords(
            memory_kib=settings.password_hash_memory_kib,
            iterations=settings.password_hash_iterations,
        ),
        sessions=Sessions(
            AccessTokens(jwt_secret(settings), settings.access_token_ttl),
            settings.refresh_token_ttl,
        ),
        revocations=Revocations(resources.redis, settings.access_token_ttl),
        oauth=OAuthProviders(clients, http, settings.oauth_redirect_uris),
        password_min_length=settings.password_min_length,
    )


async def accounts(resources: Resources, stack: AsyncExitStack) -> Sequence[Subscription]:
    timeout = httpx.Timeout(10.0, connect=5.0)
    http = await stack.enter_async_context(httpx.AsyncClient(timeout=timeout))
    relay = OutboxRelay(resources.db, ACCOUNTS_SCHEMA, resources.bus, ready=resources.bus.ping)
    await stack.enter_async_context(relay)
    return accounts_handlers.subscriptions(accounts_deps(resources, http))


async def character(resources: Resources, stack: AsyncExitStack) -> Sequence[Subscription]:
    store = CharacterStore(resources.db)
    await store.seed(CATALOG)
    return character_handlers.subscriptions(character_handlers.Characters(store, CATALOG))


async def scan(resources: Resources, stack: AsyncExitStack) -> Sequence[Subscription]:
    store = ScanStore(resources.db)
    relay = OutboxRelay(
        resources.db,
        SCAN_SCHEMA,
        resources.bus,
        ready=resources.bus.ping,
        housekeeping=store.forget_expired_keys,
    )
    await stack.enter_async_context(relay)
    return scan_handlers.subscriptions(store)


def chat_deps(resources: Resources) -> chat_handlers.Chats:
    settings = resources.settings
    return chat_handlers.Chats(
        ChatStore(resources.db),
        resources.bus,
        chat_handlers.Limits(
            daily_tokens=settings.chat_daily_tokens,
            history_tokens=settings.chat_history_tokens,
            reply_max_tokens=settings.chat_reply_max_tokens,
            reply_timeout=settings.chat_reply_timeout,
        ),
        request_timeout=settings.request_timeout,
    )


async def chat(resources: Resources, stack: AsyncExitStack) -> Sequence[Subscription]:
    deps = chat_deps(resources)
    relay = OutboxRelay(
        resources.db,
        CHAT_SCHEMA,
        resources.bus,
        ready=resources.bus.ping,
        housekeeping=deps.store.forget_expired_keys,
    )
    await stack.enter_async_context(relay)
    return chat_handlers.subscriptions(deps)


def recycling_reader(resources: Resources) -> RecyclingReader:
    """The recycling queries' reader: PostgreSQL behind the Redis cache."""
    cache = RecyclingCache(resources.redis, resources.settings.recycling_cache_ttl)
    return RecyclingReader(RecyclingStore(resources.db), cache)


async def recycling(resources: Resources, stack: AsyncExitStack) -> Sequence[Subscription]:
    reader = recycling_reader(resources)
    dictionary = load_dictionary()
    catalog = load_recycling_catalog()
    await seed_recycling(RecyclingStore(resources.db), reader.cache, catalog, dictionary)
    return recycling_handlers.subscriptions(reader, Matcher(dictionary))


def places_reader(resources: Resources) -> PlacesReader:
    """The places queries' reader: PostgreSQL behind the Redis cache of nearby pages."""
    cache = PlacesCache(resources.redis, resources.settings.places_cache_ttl)
    return PlacesReader(PlacesStore(resources.db), cache, HolidayCalendar())


async def places(resources: Resources, stack: AsyncExitStack) -> Sequence[Subscription]:
    reader = places_reader(resources)
    # An import (from any process) notifies `places_changed`; the cache drops its pages.
    await stack.enter_async_context(places_changes(resources.database_url, reader.cache.drop_all))
    count = await reader.store.count()
    if count:
        log.info("places: %d place(s) stored", count)
    else:
        log.warning(
            "places: no places stored yet; import some with `eco2 places import FILE` (see README)"
        )
    return places_handlers.subscriptions(reader)


def worker_spec(
    name: str, resources: Resources, stops: chat_stops.Stops | None = None
) -> WorkerSpec:
    """The journaled task of worker `name`, bound to this process's resources; `stops`
    are the chat stop requests this process receives."""
    match name:
        case "storage":
            return storage_handlers.worker(
                storage_handlers.Storage(
                    objects=resources.objects, max_bytes=resources.settings.max_image_bytes
                )
            )
        case "ai":
            settings = resources.settings
            scans = ai_handlers.Pipeline(
                provider=build_provider(settings, resources.redis),
                objects=resources.objects,
                requester=resources.bus,
                publisher=resources.bus,
                request_timeout=settings.request_timeout,
            )
            replies = chat_task.Replies(
                provider=build_chat_provider(settings, resources.redis),
                requester=resources.bus,
                publisher=resources.bus,
                stops=stops or chat_stops.Stops(),
                batching=chat_task.Batching(
                    settings.chat_batch_interval, settings.chat_batch_tokens
                ),
                request_timeout=settings.request_timeout,
            )
            return ai_tasks.worker(ai_handlers.worker(scans), chat_task.worker(replies))
    raise ValueError(f"no journaled worker called {name!r}")


async def storage(resources: Resources, stack: AsyncExitStack) -> Sequence[Subscription]:
    return [await journaled(resources, stack, "storage", worker_spec("storage", resources))]


async def ai(resources: Resources, stack: AsyncExitStack) -> Sequence[Subscription]:
    stops = chat_stops.Stops()
    return [
        await journaled(resources, stack, "ai", worker_spec("ai", resources, stops)),
        chat_stops.subscription(uuid.uuid4().hex[:12], stops),
    ]


async def replay_worker(name: str, resources: Resources, journal: Journal) -> JournaledWorker:
    """The worker of an existing journal, for `eco2 journal replay` (no consuming)."""
    spec = worker_spec(name, resources)
    return JournaledWorker(
        journal,
        resources.bus,
        resources.registry,
        spec.work,
        spec.on_failure,
        max_attempts=resources.settings.max_attempts,
    )


# Bus consumers, by component name.
CONSUMERS: dict[str, Consumer] = {
    "system": system,
    "accounts": accounts,
    "character": character,
    "recycling": recycling,
    "places": places,
    "scan": scan,
    "chat": chat,
    "storage": storage,
    "ai": ai,
}

# Schemas with SQL migrations: (schema name, package holding `schema/NNNN_*.sql`).
MIGRATIONS: list[tuple[str, str]] = [
    ("journal", "journal.postgres"),
    ("accounts", "services.accounts"),
    ("character", "services.character"),
    ("recycling", "services.recycling"),
    ("places", "services.places"),
    ("scan", "services.scan"),
    ("chat", "services.chat"),
]

COMPONENTS = ("gateway", *CONSUMERS)


def gateway(resources: Resources) -> tuple[Starlette, Sequence[Subscription]]:
    """The gateway's app and the bus subscriptions it needs (events it pushes to clients).

    Each call is one instance: its ephemeral group `gateway.<instance id>` receives its
    own copy of the events for its WebSockets and of the token revocations.
    """
    # Imported here: a worker process never needs the web stack, and starts faster
    # without it (the chaos suite restarts workers about a thousand times).
    from gateway.app import GatewayDeps, Limits, build
    from gateway.deps import OAuthClient as GatewayOAuthClient

    settings = resources.settings
    oauth = {}
    for name in ("google", "kakao", "naver"):
        provider = settings.oauth_provider(name)
        if provider.enabled:
            oauth[name] = GatewayOAuthClient(
                provider.client_id, provider.authorize_url, provider.scope
            )
    limits = Limits(
        max_body_bytes=settings.max_body_bytes,
        login_max_failures=settings.login_max_failures,
        login_max_failures_per_client=settings.login_max_failures_per_client,
        login_max_failures_per_email=settings.login_max_failures_per_email,
        login_failure_window=settings.login_failure_window,
        registration_max_per_client=settings.registration_max_per_client,
        registration_window=settings.registration_window,
        stream_max_per_user=settings.stream_max_per_user,
        stream_max_open=settings.stream_max_open,
        public_url=settings.public_url,
        internal_routes=settings.internal_routes,
        access_token_ttl=settings.access_token_ttl,
        ws_send_queue=settings.ws_send_queue,
        ws_heartbeat=settings.ws_heartbeat,
        event_log_retention=settings.event_log_retention,
        event_log_max_len=settings.event_log_max_len,
        request_timeout=settings.request_timeout,
        max_image_bytes=settings.max_image_bytes,
        chat_messages_per_minute=settings.chat_messages_per_minute,
        sse_wait_unknown=settings.sse_wait_unknown,
    )
    return build(
        GatewayDeps(
            publisher=resources.bus,
            requester=resources.bus,
            redis=resources.redis,
            registry=resources.registry,
            jwt_secret=jwt_secret(settings),
            instance_id=uuid.uuid4().hex[:12],
            limits=limits,
            oauth=oauth,
            oauth_redirect_uris=settings.oauth_redirect_uris,
            uploads=resources.objects,
            readiness={
                "bus": resources.bus.ping,
                "database": resources.db_ready,
                "cache": resources.redis_ready,
            },
        )
    )
