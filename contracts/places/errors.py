"""The error codes the places service answers queries with (`error.reply` `code`).

Bad query fields never reach the service as a code of their own: the payload models in
`v1` refuse them (the gateway answers 422 naming the field; a bus caller gets the
`malformed` reply). What is left is a place that does not exist.
"""

from __future__ import annotations

from typing import Final

NOT_FOUND: Final = "not_found"
"""`places.get` for an id no place has (HTTP 404)."""

CODES: Final = (NOT_FOUND,)
