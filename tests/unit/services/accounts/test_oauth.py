"""Reading each provider's user-info answer; the schema includes the outbox and inbox DDL."""

from __future__ import annotations

from importlib import resources

import pytest

from journal.postgres.inbox import INBOX_DDL
from journal.postgres.outbox import OUTBOX_DDL
from services.accounts.oauth import ProviderIdentity, parse_userinfo


def test_google() -> None:
    body = {"sub": "g-1", "email": "a@example.com", "email_verified": True, "name": "A"}
    assert parse_userinfo("google", body) == ProviderIdentity(
        "google", "g-1", "a@example.com", True, "A"
    )


def test_kakao() -> None:
    body = {
        "id": 42,
        "kakao_account": {
            "email": "k@example.com",
            "is_email_verified": True,
            "profile": {"nickname": "카카오"},
        },
    }
    assert parse_userinfo("kakao", body) == ProviderIdentity(
        "kakao", "42", "k@example.com", True, "카카오"
    )
    bare = parse_userinfo("kakao", {"id": 7})
    assert (bare.subject, bare.email, bare.email_verified) == ("7", None, False)


def test_naver_never_claims_a_verified_email() -> None:
    body = {"resultcode": "00", "response": {"id": "n-1", "email": "n@x.com", "nickname": "N"}}
    assert parse_userinfo("naver", body) == ProviderIdentity("naver", "n-1", "n@x.com", False, "N")
    with pytest.raises(ValueError, match="024"):
        parse_userinfo("naver", {"resultcode": "024", "message": "Authentication failed"})


def test_answers_without_a_subject_are_refused() -> None:
    with pytest.raises(ValueError, match="sub"):
        parse_userinfo("google", {"email": "a@example.com"})


def test_the_accounts_migration_includes_the_outbox_and_inbox_tables() -> None:
    sql = (resources.files("services.accounts") / "schema" / "0001_accounts.sql").read_text()
    assert OUTBOX_DDL.strip() in sql
    assert INBOX_DDL.strip() in sql
