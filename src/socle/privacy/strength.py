"""How strong a secret is: an estimate of its entropy, and the floor a secret must reach.

The estimate is the empirical Shannon entropy of the secret's symbols times
its length. It is generous to a short random string and ruthless with
repetition: 32 × "a" carries 0 bits, ``secrets.token_urlsafe(32)`` about
200; zxcvbn's estimate catches sequences and repeated blocks in text secrets
("0123456789" × 4). The known-default list and the length floor do the rest.
"""

from __future__ import annotations

import math
from collections import Counter

from socle.privacy.errors import UnsafeSecretError

MIN_SECRET_BITS = 100  # a typed or configured secret: 32 random URL-safe characters score ~106
MIN_KEY_BITS = 96  # a 32-byte binary key: random ones score about 150


def entropy_bits(secret: bytes | str) -> float:
    """Estimated entropy in bits (0 for an empty secret).

    The empirical Shannon entropy of the symbols times their number; for a
    text secret of up to 100 characters, also zxcvbn's guess count (which
    sees sequences and repeated blocks), whichever is lower.
    """
    if not secret:
        return 0.0
    counts = Counter(secret)
    n = len(secret)
    per_symbol = -sum(c / n * math.log2(c / n) for c in counts.values())
    bits = max(0.0, per_symbol * n)
    if isinstance(secret, str) and n <= 100:
        from zxcvbn import zxcvbn  # lazy: its dictionaries take a moment to load

        bits = min(bits, float(zxcvbn(secret)["guesses_log10"]) * math.log2(10))
    return bits


def check_entropy(secret: bytes | str, source: str, minimum: float = MIN_SECRET_BITS) -> None:
    """Refuse a secret whose estimated entropy is below ``minimum`` bits, naming its source."""
    bits = entropy_bits(secret)
    if bits < minimum:
        raise UnsafeSecretError(
            f"the secret from {source} is too predictable (about {bits:.0f} bits of entropy, "
            f"at least {minimum:.0f} needed); generate a random one, e.g. "
            "python -c 'import secrets; print(secrets.token_urlsafe(48))'"
        )
