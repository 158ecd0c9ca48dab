"""The codes a scan request may fail with, in its `error.reply`.

The gateway maps every one of them to an HTTP status (a test checks that none is left out).
A scan that fails in the pipeline is another thing: its `scan.failed` event names the code.
"""

from typing import Final, Literal, get_args

Code = Literal[
    "not_found",  # no such scan, or another user's (the two look the same)
    "invalid_cursor",  # not a `next_cursor` this service gave out
]

CODES: Final = frozenset[str](get_args(Code))
