"""Every code a domain publishes in `contracts/<domain>/errors.py` has an HTTP status."""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
from types import ModuleType
from typing import get_args

import pytest

import contracts
from bus.ports import RemoteError
from gateway.errors import REMOTE_STATUS, from_remote


def domain_error_modules() -> dict[str, ModuleType]:
    """`contracts.<domain>.errors` of every domain that publishes one."""
    found = {}
    for info in pkgutil.iter_modules(contracts.__path__):
        name = f"contracts.{info.name}.errors"
        if info.ispkg and importlib.util.find_spec(name) is not None:
            found[info.name] = importlib.import_module(name)
    return found


MODULES = domain_error_modules()
DOMAIN_CODES = sorted({(d, c) for d, m in MODULES.items() for c in m.CODES})


def test_the_published_domains_are_found() -> None:
    assert {"accounts", "character", "recycling", "scan"} <= set(MODULES)


@pytest.mark.parametrize("module", MODULES.values(), ids=list(MODULES))
def test_codes_is_the_set_of_the_code_literal(module: ModuleType) -> None:
    assert frozenset(get_args(module.Code)) == module.CODES
    assert module.CODES, "a domain that publishes errors publishes at least one code"


@pytest.mark.parametrize(("domain", "code"), DOMAIN_CODES)
def test_every_domain_code_answers_a_client_status(domain: str, code: str) -> None:
    assert code in REMOTE_STATUS, f"{domain} code {code!r} would answer 502"
    error = from_remote(RemoteError(code, "why"))
    assert 400 <= error.status < 500
    assert (error.code, error.message) == (code, "why")


@pytest.mark.parametrize(("code", "status"), [("invalid_redirect_uri", 400), ("user_deleted", 410)])
def test_codes_once_missing_have_their_status(code: str, status: int) -> None:
    assert from_remote(RemoteError(code, "why")).status == status


def test_an_unpublished_code_is_the_other_services_failure() -> None:
    error = from_remote(RemoteError("no_such_code", "why"))
    assert (error.status, error.code) == (502, "upstream_error")


def test_a_service_whose_dependency_is_down_answers_503_with_retry_after() -> None:
    error = from_remote(RemoteError("unavailable", "PostgreSQL: ConnectionDoesNotExistError"))
    assert (error.status, error.code) == (503, "unavailable")
    assert error.headers == {"Retry-After": "1"}
    assert "PostgreSQL" not in error.message, "the client is not told our internals"
