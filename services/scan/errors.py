"""The scan domain's error; its codes are published in `contracts.scan.errors`."""

from __future__ import annotations

from contracts.scan.errors import Code
from services.kit.errors import DomainError


class ScanRequestError(DomainError[Code]):
    """An expected failure of a scan request."""
