"""The password policy of the embedded issuer: long, and not a common or guessable password.

A password needs at least 12 characters and a zxcvbn score of at least 3 of 4
(zxcvbn ranks it against lists of common and leaked passwords, dictionary
words, names, keyboard patterns, dates and repeats, and the user's own name).
"""

from __future__ import annotations

from socle.api.errors import WeakPasswordError

MIN_LENGTH = 12
MAX_LENGTH = 256
MIN_SCORE = 3  # zxcvbn: 3 = "safely unguessable: moderate protection from offline attacks"


def password_problems(password: str, username: str) -> list[str]:
    """Every reason ``password`` breaks the policy (empty when it follows it)."""
    if len(password) < MIN_LENGTH:
        return [f"a password needs at least {MIN_LENGTH} characters"]
    if len(password) > MAX_LENGTH:
        return [f"a password has at most {MAX_LENGTH} characters"]
    from zxcvbn import zxcvbn  # lazy: its dictionaries take a moment to load

    result = zxcvbn(password, user_inputs=[username, *username.replace(".", " ").split()])
    if result["score"] >= MIN_SCORE:
        return []
    warning = result["feedback"].get("warning") or "it is too easy to guess"
    return [f"this password is too easy to guess ({warning.rstrip('.').lower()})"]


def check_password(password: str, username: str) -> None:
    """Refuse a password that breaks the policy, saying why (never echoing the password)."""
    problems = password_problems(password, username)
    if problems:
        raise WeakPasswordError(
            f"password for '{username}' refused: {'; '.join(problems)}. Use at least "
            f"{MIN_LENGTH} characters, e.g. four or more unrelated words."
        )
