"""People's passwords: argon2id hashes (argon2-cffi's defaults, RFC 9106's low-memory profile)
and the one strength rule the pages explain in Chinese.

The rule is deliberately simple, so a county clerk can follow it without a meter: at least 10
characters, not the account's name, not all of one kind (all digits, all letters, ...), and not
one of the passwords every guessing list starts with.
"""

from __future__ import annotations

import functools
import secrets
import string

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 10
MAX_LENGTH = 128  # argon2 takes any length; a bound keeps a hostile body from costing more
# what the rule says, as the sign-in and account pages show it
RULE_TEXT = (
    "密码至少 10 位，不能与账号名相同或包含账号名，"
    "不能全是数字、全是字母或全是符号，也不能是常见密码。"
)

# Passwords that guessing lists try first, and the defaults shipped by products like this
# one. The rule refuses them, and a production hub does not start while an account has one
# (hub.accounts.defaults).
WELL_KNOWN = frozenset(
    {
        "admin",
        "password",
        "bianmin",
        "changeme",
        "123456",
        "admin12345",
        "admin123456",
        "password123",
        "password1234",
        "passw0rd123",
        "1234567890",
        "12345678910",
        "qwertyuiop",
        "1qaz2wsx3edc",
        "bianmin123",
        "bianmin2026",
        "bianmin@123",
        "admin@12345",
        "abc1234567",
        "a123456789",
    }
)
# what the production start-up check verifies a hash written outside the hub against (one
# argon2 verification each): what a hand-made or copied account would most likely hold
DEFAULTS_CHECKED_AT_START = ("admin", "bianmin", "changeme")

_CLASSES = (string.digits, string.ascii_lowercase, string.ascii_uppercase)


def problem(password: str, *, name: str) -> str | None:
    """Why ``password`` is refused for account ``name`` (Chinese, for the page), or None."""
    if len(password) < MIN_LENGTH:
        return f"密码太短：至少 {MIN_LENGTH} 位。"
    if len(password) > MAX_LENGTH:
        return f"密码太长：最多 {MAX_LENGTH} 位。"
    lowered = password.lower()
    # a name of a few letters would be found inside many good passwords
    if name and (lowered == name.lower() or (len(name) >= 4 and name.lower() in lowered)):
        return "密码不能与账号名相同，也不能包含账号名。"
    if _one_class(password):
        return "密码不能全是数字、全是字母或全是符号，请混合使用。"
    if lowered in WELL_KNOWN:
        return "这是常见密码，容易被猜到，请换一个。"
    return None


def well_known(password: str) -> bool:
    return password.lower() in WELL_KNOWN


def _one_class(password: str) -> bool:
    """All digits, all letters (of either case, CJK included), or all other symbols."""
    if password.isdigit():
        return True
    if password.isalpha():
        return True
    return not any(c.isalnum() for c in password)


@functools.cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    # verified against when the account is unknown or has no password, so a wrong name costs
    # as long as a wrong password and the timing says nothing about which accounts exist
    return _hasher().hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify(stored: str | None, password: str) -> bool:
    """Whether ``password`` matches ``stored`` (None: no password; a dummy hash is verified
    all the same, for the timing)."""
    if len(password) > MAX_LENGTH:
        password = password[:MAX_LENGTH]
    try:
        if stored is None:
            _hasher().verify(_dummy_hash(), password)
            return False
        return _hasher().verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """True when the hasher's parameters moved on since ``stored`` was made."""
    return _hasher().check_needs_rehash(stored)


def generate() -> str:
    """A random password that satisfies the rule (for the demo and an admin's reset)."""
    while True:
        candidate = secrets.token_urlsafe(12)  # 16 characters of A-Z a-z 0-9 - _
        if problem(candidate, name="") is None:
            return candidate
