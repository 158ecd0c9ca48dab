"""The chat domain's error codes: what an `error.reply` from the chat service may carry.

The gateway maps each to an HTTP status; clients may rely on the codes, not the messages.
"""

from __future__ import annotations

from typing import Final, Literal, get_args

NOT_FOUND: Final = "not_found"  # no such chat or reply, or another user's (they look the same)
INVALID_CURSOR: Final = "invalid_cursor"  # not a `next_cursor` this service gave out
REPLY_IN_PROGRESS: Final = "reply_in_progress"  # one answer at a time per person
RATE_LIMITED: Final = "rate_limited"  # too many messages in the window
TOKEN_BUDGET_EXCEEDED: Final = "token_budget_exceeded"  # the day's tokens are used up
SCAN_NOT_FOUND: Final = "scan_not_found"  # the named scan is not one of the person's
MESSAGE_TOO_LONG: Final = "message_too_long"  # more than `MAX_TEXT` characters
EMPTY_MESSAGE: Final = "empty_message"  # nothing but spaces
INVALID_TITLE: Final = "invalid_title"  # an empty or too long title

# What a reply's `failed {error: {code}}` may say.
PROVIDER_BUSY: Final = "provider_busy"  # the model's rate limit, after retries
PROVIDER_UNAVAILABLE: Final = "provider_unavailable"  # timeouts, 5xx, a cut connection
BAD_MODEL_OUTPUT: Final = "bad_model_output"  # the model answered, but not usably
REPLY_FAILED: Final = "reply_failed"  # anything else, after the attempt limit
TIMED_OUT: Final = "timed_out"  # no worker finished the reply in time

Code = Literal[
    "not_found",
    "invalid_cursor",
    "reply_in_progress",
    "rate_limited",
    "token_budget_exceeded",
    "scan_not_found",
    "message_too_long",
    "empty_message",
    "invalid_title",
]

# The codes a chat request may fail with, in its `error.reply` (the gateway maps each).
CODES: Final = frozenset[str](get_args(Code))
