"""The codes a recycling query may fail with, in its `error.reply`.

The gateway maps every one of them to an HTTP status (a test checks that none is left out).
"""

from typing import Final, Literal, get_args

Code = Literal["not_found"]  # no such category

CODES: Final = frozenset[str](get_args(Code))
