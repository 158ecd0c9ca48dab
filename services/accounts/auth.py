"""Handlers of `auth.*`: register, login, refresh, logout and OAuth sign-in."""

from __future__ import annotations

from datetime import timedelta

from bus.ports import Message
from contracts.accounts.v1 import (
    LoggedOut,
    Login,
    Logout,
    OAuthLogin,
    Refresh,
    Register,
    Session,
    TokenRevoked,
    UserRegistered,
)
from services.accounts.domain import (
    RefreshToken,
    check_password,
    event,
    nickname_from,
    normalize_email,
    normalize_nickname,
    parse_uuid,
)
from services.accounts.errors import AccountError
from services.accounts.oauth import OAuthProviders
from services.accounts.passwords import Passwords
from services.accounts.revocations import Revocations
from services.accounts.sessions import Sessions
from services.accounts.store import Store

_BAD_LOGIN = "email or password is wrong"
_BAD_REFRESH = "refresh token is not valid; sign in again"


async def register(
    message: Message[Register],
    *,
    store: Store,
    passwords: Passwords,
    sessions: Sessions,
    min_length: int,
) -> Session:
    p = message.payload
    email = normalize_email(p.email)
    nickname = normalize_nickname(p.nickname)
    check_password(p.password, email, min_length=min_length)
    hashed = await passwords.hash(p.password)
    request = message.envelope.message_id
    async with store.transaction() as tx:
        user = await tx.insert_user(email, nickname, request)
        if user is None:
            user = await tx.user_by_email(email)
            if user is None or user.registered_by != request:
                raise AccountError("email_taken", "an account with this email already exists")
        else:  # a redelivered request skips this: it created the user the first time
            await tx.set_password(user.id, hashed)
            registered = UserRegistered(
                user_id=str(user.id), email=email, nickname=nickname, provider="password"
            )
            await tx.enqueue([event(message.envelope, registered, str(user.id))])
        return await sessions.open(tx, user, "password", created=True)


async def login(
    message: Message[Login], *, store: Store, passwords: Passwords, sessions: Sessions
) -> Session:
    p = message.payload
    try:
        found = await store.credentials(normalize_email(p.email))
    except AccountError:
        found = None
    # Verify even for an unknown email, so the time taken does not tell whether it exists.
    if not await passwords.verify(found[1] if found else None, p.password) or found is None:
        raise AccountError("invalid_credentials", _BAD_LOGIN)
    user, stored = found
    rehashed = await passwords.hash(p.password) if passwords.needs_rehash(stored) else None
    async with store.transaction() as tx:
        if rehashed is not None:
            await tx.set_password(user.id, rehashed)
        return await sessions.open(tx, user, "password")


async def refresh(
    message: Message[Refresh], *, store: Store, sessions: Sessions, revocations: Revocations
) -> Session:
    token = RefreshToken.parse(message.payload.refresh_token)
    request = message.envelope.message_id
    async with store.transaction() as tx:
        row = await tx.lock_refresh(token.token_id)
        if row is None or not token.matches(row.secret_hash) or row.session_revoked:
            raise AccountError("invalid_refresh_token", _BAD_REFRESH)
        reused = row.used_at is not None and row.used_by != request
        if reused:
            user_id = str(row.user.id)
            await tx.revoke_session(row.session_id, row.user.id, "refresh_token_reused")
            revoked = TokenRevoked(
                scope="session",
                user_id=user_id,
                session_id=str(row.session_id),
                reason="refresh_token_reused",
                expires_at=await tx.now() + timedelta(seconds=revocations.access_ttl),
            )
            await tx.enqueue([event(message.envelope, revoked, user_id)])
        elif row.expires_at <= await tx.now():
            raise AccountError("refresh_token_expired", "refresh token expired; sign in again")
        else:
            if row.used_at is None:  # else the same request again: rotate once more
                await tx.mark_used(token.token_id, request)
            return await sessions.extend(tx, row.user, row.session_id)
    # Committed: the session is revoked in SQL and its event is in the outbox.
    await revocations.session(str(row.session_id))
    raise AccountError(
        "refresh_token_reused",
        "refresh token was already used; the session is revoked, sign in again",
    )


async def logout(message: Message[Logout], *, store: Store, revocations: Revocations) -> LoggedOut:
    p = message.payload
    session_id, user_id = parse_uuid(p.session_id), parse_uuid(p.user_id)
    async with store.transaction() as tx:
        if p.refresh_token is not None:
            token = RefreshToken.parse(p.refresh_token)
            row = await tx.lock_refresh(token.token_id)
            if row is None or row.session_id != session_id or not token.matches(row.secret_hash):
                raise AccountError("invalid_refresh_token", "refresh token is not of this session")
        if session_id is not None and user_id is not None:
            await tx.revoke_session(session_id, user_id, "logout")
        access = TokenRevoked(
            scope="access",
            user_id=p.user_id,
            jti=p.access_jti,
            reason="logout",
            expires_at=p.access_expires_at,
        )
        session = TokenRevoked(
            scope="session",
            user_id=p.user_id,
            session_id=p.session_id,
            reason="logout",
            expires_at=await tx.now() + timedelta(seconds=revocations.access_ttl),
        )
        await tx.enqueue(
            [
                event(message.envelope, access, p.user_id, "token.revoked.access"),
                event(message.envelope, session, p.user_id, "token.revoked.session"),
            ]
        )
    await revocations.access(p.access_jti, p.access_expires_at)
    await revocations.session(p.session_id)
    return LoggedOut(session_id=p.session_id)


async def oauth_login(
    message: Message[OAuthLogin], *, store: Store, oauth: OAuthProviders, sessions: Sessions
) -> Session:
    p = message.payload
    who = await oauth.identify(p.provider, p.code, p.code_verifier, p.redirect_uri)
    if not who.email:
        raise AccountError(
            "oauth_failed", f"{p.provider} did not share an email address; allow access to it"
        )
    try:
        email = normalize_email(who.email)
    except AccountError:
        raise AccountError("oauth_failed", f"{p.provider} gave an invalid email") from None
    async with store.transaction() as tx:
        user = await tx.user_by_identity(p.provider, who.subject)
        if user is not None:
            return await sessions.open(tx, user, p.provider)
        user = await tx.user_by_email(email)
        if user is not None:
            if not who.email_verified:
                raise AccountError(
                    "email_taken",
                    f"an account with this email exists and {p.provider} has not verified the"
                    " address; sign in with your password",
                )
            await tx.link_identity(p.provider, who.subject, user.id)
            return await sessions.open(tx, user, p.provider)
        nickname = nickname_from(who.nickname, email)
        user = await tx.insert_user(email, nickname, message.envelope.message_id)
        if user is None:
            raise AccountError("email_taken", "an account with this email already exists")
        await tx.link_identity(p.provider, who.subject, user.id)
        registered = UserRegistered(
            user_id=str(user.id), email=email, nickname=nickname, provider=p.provider
        )
        await tx.enqueue([event(message.envelope, registered, str(user.id))])
        return await sessions.open(tx, user, p.provider, created=True)
