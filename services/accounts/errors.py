"""The accounts domain's error; its codes are published in `contracts.accounts.errors`."""

from __future__ import annotations

from contracts.accounts.errors import Code
from services.kit.errors import DomainError


class AccountError(DomainError[Code]):
    """An expected failure of an accounts request."""
