"""Bodies of `/api/v1/users/me`: the caller's profile."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field, field_validator

from contracts.accounts.v1 import NICKNAME_MAX, UserView
from gateway.bodies.base import Body, free_text


class UpdateMeBody(Body):
    nickname: str = Field(min_length=1, max_length=NICKNAME_MAX)

    @field_validator("nickname")
    @classmethod
    def _text(cls, value: str) -> str:
        return free_text(value)


class ProfileOut(BaseModel):
    id: str
    email: str
    nickname: str
    created_at: datetime

    @classmethod
    def of(cls, user: UserView) -> ProfileOut:
        return cls(id=user.id, email=user.email, nickname=user.nickname, created_at=user.created_at)
