"""Bus handlers of the `accounts` service and their registry table.

Every handler is a plain `async def` taking the request and keyword dependencies; the
table in `subscriptions` binds them and translates `AccountError` into `RequestFailed`,
which the requester receives as an `error.reply` with the error's code.

Requests may be delivered again. Events take ids derived from the request's id (the
outbox drops the second copy), a redelivered `auth.register` answers with a new session
of the user it created, and a redelivered `auth.refresh` is not mistaken for reuse.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from bus.ports import Handler, Subscription
from contracts.accounts.v1 import (
    DeleteUser,
    GetUser,
    Login,
    Logout,
    OAuthLogin,
    Refresh,
    Register,
    UpdateUser,
)
from services.accounts import auth, profile
from services.accounts.oauth import OAuthProviders
from services.accounts.passwords import Passwords
from services.accounts.revocations import Revocations
from services.accounts.sessions import Sessions
from services.accounts.store import Store
from services.kit.table import table_subscription

GROUP = "accounts"


@dataclass(frozen=True)
class Accounts:
    """Everything the handlers need, built once by the composition root."""

    store: Store
    passwords: Passwords
    sessions: Sessions
    revocations: Revocations
    oauth: OAuthProviders
    password_min_length: int


def table(deps: Accounts) -> dict[str, Handler]:
    """Message type -> handler bound to its dependencies."""
    store, sessions, revocations = deps.store, deps.sessions, deps.revocations
    return {
        Register.__message_type__: partial(
            auth.register,
            store=store,
            passwords=deps.passwords,
            sessions=sessions,
            min_length=deps.password_min_length,
        ),
        Login.__message_type__: partial(
            auth.login, store=store, passwords=deps.passwords, sessions=sessions
        ),
        Refresh.__message_type__: partial(
            auth.refresh, store=store, sessions=sessions, revocations=revocations
        ),
        Logout.__message_type__: partial(auth.logout, store=store, revocations=revocations),
        OAuthLogin.__message_type__: partial(
            auth.oauth_login, store=store, oauth=deps.oauth, sessions=sessions
        ),
        GetUser.__message_type__: partial(profile.get_user, store=store),
        UpdateUser.__message_type__: partial(profile.update_user, store=store),
        DeleteUser.__message_type__: partial(
            profile.delete_user, store=store, revocations=revocations
        ),
    }


def subscriptions(deps: Accounts) -> list[Subscription]:
    return [table_subscription(GROUP, table(deps))]
