"""The codes a places query may fail with, in its `error.reply`.

Bad query fields never reach the service as a code of their own: the payload models in
`v1` refuse them (the gateway answers 422 naming the field; a bus caller gets the
`malformed` reply). What is left is a place that does not exist. The gateway maps every
code to an HTTP status (a test checks that none is left out).
"""

from typing import Final, Literal, get_args

Code = Literal["not_found"]  # `places.get` for an id no place has

CODES: Final = frozenset[str](get_args(Code))
