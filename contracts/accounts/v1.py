"""`auth.*`, `user.*` and `token.*` v1: accounts, sessions and profiles (frozen once published).

Queries travel as request/reply (the gateway waits for the answer); events are published
through the accounts service's transactional outbox, so none is lost.

gateway --auth.register / auth.login / auth.refresh / auth.oauth_login--> accounts
        <--auth.session-- (or error.reply with a stable code)
gateway --auth.logout / user.get / user.update / user.delete--> accounts
        <--auth.logged_out / user.profile / user.deleted--
accounts --user.registered, user.deleted, token.revoked (outbox)--> every interested group
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from contracts.envelope import Payload

Provider = Literal["password", "google", "kakao", "naver"]
OAuthProvider = Literal["google", "kakao", "naver"]

EMAIL_MAX = 254
PASSWORD_MAX = 256
NICKNAME_MAX = 40


class UserView(BaseModel):
    """A user as clients see them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    email: str
    nickname: str
    created_at: datetime


# --- queries (request/reply) -------------------------------------------------------------


class Register(Payload):
    """Create an account with email and password; answered by `auth.session`."""

    __message_type__: ClassVar[str] = "auth.register"
    __version__: ClassVar[int] = 1

    email: str = Field(min_length=3, max_length=EMAIL_MAX)
    password: str = Field(min_length=1, max_length=PASSWORD_MAX)
    nickname: str = Field(min_length=1, max_length=NICKNAME_MAX)


class Login(Payload):
    """Sign in with email and password; answered by `auth.session`."""

    __message_type__: ClassVar[str] = "auth.login"
    __version__: ClassVar[int] = 1

    email: str = Field(min_length=1, max_length=EMAIL_MAX)
    password: str = Field(min_length=1, max_length=PASSWORD_MAX)


class Refresh(Payload):
    """Rotate a refresh token; answered by `auth.session` with a new refresh token."""

    __message_type__: ClassVar[str] = "auth.refresh"
    __version__: ClassVar[int] = 1

    refresh_token: str = Field(min_length=1, max_length=512)


class OAuthLogin(Payload):
    """Finish an OAuth 2 authorization-code + PKCE sign-in; answered by `auth.session`."""

    __message_type__: ClassVar[str] = "auth.oauth_login"
    __version__: ClassVar[int] = 1

    provider: OAuthProvider
    code: str = Field(min_length=1, max_length=2048)
    code_verifier: str = Field(min_length=43, max_length=128)
    redirect_uri: str = Field(min_length=1, max_length=2048)


class Logout(Payload):
    """End a session: revoke its refresh family and blacklist the access token's `jti`."""

    __message_type__: ClassVar[str] = "auth.logout"
    __version__: ClassVar[int] = 1

    user_id: str
    session_id: str
    access_jti: str
    access_expires_at: datetime
    refresh_token: str | None = Field(default=None, max_length=512)


class GetUser(Payload):
    __message_type__: ClassVar[str] = "user.get"
    __version__: ClassVar[int] = 1

    user_id: str


class UpdateUser(Payload):
    __message_type__: ClassVar[str] = "user.update"
    __version__: ClassVar[int] = 1

    user_id: str
    nickname: str = Field(min_length=1, max_length=NICKNAME_MAX)


class DeleteUser(Payload):
    """Erase an account; every service erases that user's data on `user.deleted`."""

    __message_type__: ClassVar[str] = "user.delete"
    __version__: ClassVar[int] = 1

    user_id: str


# --- replies -----------------------------------------------------------------------------


class Session(Payload):
    """Tokens of a signed-in user. `expires_in` is the access token's lifetime in seconds."""

    __message_type__: ClassVar[str] = "auth.session"
    __version__: ClassVar[int] = 1

    user: UserView
    access_token: str
    refresh_token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int = Field(gt=0)
    created: bool = False


class LoggedOut(Payload):
    __message_type__: ClassVar[str] = "auth.logged_out"
    __version__: ClassVar[int] = 1

    session_id: str


class Profile(Payload):
    __message_type__: ClassVar[str] = "user.profile"
    __version__: ClassVar[int] = 1

    user: UserView


# --- events (transactional outbox) -------------------------------------------------------


class UserRegistered(Payload):
    """A new account exists; e.g. the character service grants the default character."""

    __message_type__: ClassVar[str] = "user.registered"
    __version__: ClassVar[int] = 1

    user_id: str
    email: str
    nickname: str
    provider: Provider


class UserDeleted(Payload):
    """An account was erased; every service erases that user's data."""

    __message_type__: ClassVar[str] = "user.deleted"
    __version__: ClassVar[int] = 1

    user_id: str


class TokenRevoked(Payload):
    """Tokens that must stop working everywhere now.

    - `access`: the access token with `jti`;
    - `session`: every token of session `session_id` (logout, refresh-token reuse);
    - `user`: every token of `user_id` issued before `occurred_at` (account deleted).

    Gateways keep the revocation until `expires_at`, when such tokens expire anyway.
    """

    __message_type__: ClassVar[str] = "token.revoked"
    __version__: ClassVar[int] = 1

    scope: Literal["access", "session", "user"]
    user_id: str
    session_id: str | None = None
    jti: str | None = None
    reason: Literal["logout", "refresh_token_reused", "user_deleted", "admin"]
    expires_at: datetime
