"""Bodies of `/api/v1/auth/*`: register, sign in, rotate, sign out, the OAuth providers."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, Field, field_validator

from contracts.accounts.v1 import EMAIL_MAX, NICKNAME_MAX, PASSWORD_MAX, Session
from gateway.bodies.base import Body, free_text

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class RegisterBody(Body):
    email: str = Field(min_length=3, max_length=EMAIL_MAX)
    password: str = Field(min_length=1, max_length=PASSWORD_MAX)
    nickname: str = Field(min_length=1, max_length=NICKNAME_MAX)

    @field_validator("email", "nickname")
    @classmethod
    def _text(cls, value: str) -> str:
        return free_text(value)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        if not _EMAIL.match(value):
            raise ValueError("value is not a valid email address")
        return value


class LoginBody(Body):
    email: str = Field(min_length=1, max_length=EMAIL_MAX)
    password: str = Field(min_length=1, max_length=PASSWORD_MAX)

    @field_validator("email")
    @classmethod
    def _text(cls, value: str) -> str:
        return free_text(value)


class RefreshBody(Body):
    refresh_token: str = Field(min_length=1, max_length=512)


class LogoutBody(Body):
    refresh_token: str | None = Field(default=None, min_length=1, max_length=512)


class UserSummary(BaseModel):
    id: str
    email: str
    nickname: str


class TokensOut(BaseModel):
    user: UserSummary
    access_token: str
    refresh_token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int

    @classmethod
    def of(cls, session: Session) -> TokensOut:
        user = session.user
        return cls(
            user=UserSummary(id=user.id, email=user.email, nickname=user.nickname),
            access_token=session.access_token,
            refresh_token=session.refresh_token,
            token_type=session.token_type,
            expires_in=session.expires_in,
        )


class ProviderOut(BaseModel):
    name: Literal["google", "kakao", "naver"]
    authorize_url: str


class ProvidersOut(BaseModel):
    """The enabled OAuth providers, and the redirect URIs a client may send them back to."""

    items: list[ProviderOut]
    redirect_uris: list[str]
