"""A token estimate both sides of a reply agree on, without a tokenizer.

The chat service bounds the history it sends by it and counts offline replies against the
daily budget with it; the AI worker batches deltas by it. It errs high for Korean (about
one token per syllable, as the common tokenizers give) and is about a word for English.
"""

from __future__ import annotations

import math


def estimate_tokens(text: str) -> int:
    """Tokens `text` is likely to take: non-ASCII characters count one each, ASCII four
    characters to a token."""
    wide = sum(1 for ch in text if ord(ch) > 127 and not ch.isspace())
    narrow = len(text) - wide
    return wide + math.ceil(narrow / 4)
