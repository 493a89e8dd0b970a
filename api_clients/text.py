"""Text that comes from outside, made safe to keep: what no one could have typed is dropped."""

import unicodedata

# Control characters (NUL included) and lone surrogates: PostgreSQL refuses
# both in text and in JSON, and neither can be typed or shown.
_UNTYPEABLE_CATEGORIES = {"Cc", "Cs"}


def remove_untypeable(text):
    """``text`` without control characters or lone surrogates."""
    return "".join(
        char for char in text if unicodedata.category(char) not in _UNTYPEABLE_CATEGORIES
    )
