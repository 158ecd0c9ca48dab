"""The pure account rules: email, nickname, password policy, refresh-token format."""

from __future__ import annotations

import uuid

import pytest

from contracts import new_envelope
from contracts.accounts.v1 import UserDeleted
from services.accounts.domain import (
    RefreshToken,
    check_password,
    event,
    nickname_from,
    normalize_email,
    normalize_nickname,
)
from services.accounts.errors import AccountError


def code_of(call: object) -> str:
    assert callable(call)
    with pytest.raises(AccountError) as info:
        call()
    return info.value.code


def test_emails_are_trimmed_and_lower_cased() -> None:
    assert normalize_email("  Mina.Kim+eco@Example.CO.kr ") == "mina.kim+eco@example.co.kr"


@pytest.mark.parametrize(
    "raw", ["mina", "mina@", "@example.com", "mina@example", "mi na@example.com", "a@b@c.com"]
)
def test_malformed_emails_are_refused(raw: str) -> None:
    assert code_of(lambda: normalize_email(raw)) == "invalid_email"


def test_look_alike_emails_are_one_address() -> None:
    # Fullwidth letters and a Kelvin sign (K) normalise to the plain address.
    assert normalize_email("\uff2dina@example.com") == "mina@example.com"
    assert normalize_email("\u212aim@example.com") == "kim@example.com"


@pytest.mark.parametrize("raw", ["mi\x00na@example.com", "mi\u200bna@example.com"])
def test_emails_with_hidden_characters_are_refused(raw: str) -> None:
    assert code_of(lambda: normalize_email(raw)) == "invalid_email"


@pytest.mark.parametrize(
    "raw", ["Ki\x00m", "Kim\u202egnp.exe", "K\u200bim", "Ki\u2028m", "\x07bell"]
)
def test_nicknames_that_do_not_display_are_refused(raw: str) -> None:
    assert code_of(lambda: normalize_nickname(raw)) == "invalid_nickname"


def test_nicknames_are_normalised() -> None:
    assert normalize_nickname("\uff2bim") == "Kim"  # fullwidth K
    assert normalize_nickname("수지 🌱") == "수지 🌱"
    assert nickname_from("Ki\u200bm\u202e", "m@example.com") == "Kim"


def test_nicknames_are_trimmed_and_bounded() -> None:
    assert normalize_nickname("  수지  ") == "수지"
    assert code_of(lambda: normalize_nickname("   ")) == "invalid_nickname"
    assert code_of(lambda: normalize_nickname("x" * 41)) == "invalid_nickname"


def test_oauth_nicknames_fall_back_to_the_local_part() -> None:
    assert nickname_from(" Mina ", "m@example.com") == "Mina"
    assert nickname_from(None, "mina.kim@example.com") == "mina.kim"
    assert nickname_from("  ", "mina@example.com") == "mina"
    assert len(nickname_from("y" * 80, "m@example.com")) == 40


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("short1!", "at least 10 characters"),
        ("aaaaaaaaaaaa", "single character"),
        ("mina@example.com", "email"),
        ("MinaKim1234", "email"),
        ("Password123", "most common"),
        ("1q2w3e4r5t", "most common"),
    ],
)
def test_weak_passwords_are_refused_with_a_reason(password: str, why: str) -> None:
    email = "mina@example.com" if "@" in password else "minakim1234@example.com"
    with pytest.raises(AccountError, match=why) as info:
        check_password(password, email, min_length=10)
    assert info.value.code == "weak_password"


def test_a_reasonable_password_passes() -> None:
    check_password("correct horse battery", "mina@example.com", min_length=10)


def test_refresh_tokens_round_trip_and_store_only_a_digest() -> None:
    token = RefreshToken.new()
    raw = str(token)
    parsed = RefreshToken.parse(raw)
    assert parsed == token
    assert len(token.secret) >= 43
    assert token.digest != token.secret.encode()
    assert parsed.matches(token.digest)
    assert not RefreshToken.new().matches(token.digest)


@pytest.mark.parametrize(
    "raw",
    ["", "abc", "nothex.secret", f"{uuid.uuid4().hex}.short", f"{uuid.uuid4()}.{'a' * 43}"],
)
def test_malformed_refresh_tokens_are_refused(raw: str) -> None:
    assert code_of(lambda: RefreshToken.parse(raw)) == "invalid_refresh_token"


def test_events_take_ids_derived_from_the_request() -> None:
    request = new_envelope(UserDeleted(user_id="u"))
    one = event(request, UserDeleted(user_id="u"), "u")
    again = event(request, UserDeleted(user_id="u"), "u")
    other = event(request, UserDeleted(user_id="u"), "u", "second")
    assert one.message_id == again.message_id != other.message_id
    assert one.causation_id == request.message_id
    assert one.user_id == "u"
