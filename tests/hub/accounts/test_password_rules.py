"""The password rule people are told (at least 10, not the name, not one kind of character,
not a well-known one), the lock-out arithmetic, the CSRF comparison and where a sign-in may
send the browser next: pure, no I/O."""

from datetime import timedelta

import pytest

from hub.accounts import passwords
from hub.accounts.csrf import tokens_match
from hub.accounts.lockout import Policy
from hub.accounts.login import safe_next
from hub.accounts.sessions import csrf_token


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("short-1", "太短"),
        ("zhangwei-2026", "账号名"),
        ("ZhangWei", "太短"),
        ("1234567890123", "全是数字"),
        ("abcdefghijkl", "全是数字、全是字母"),
        ("便民服务站便民服务站", "全是数字、全是字母"),  # CJK letters are letters
        ("!@#$%^&*()_+", "全是符号"),
        ("Password123", "常见密码"),
        ("x" * 129 + "1", "太长"),
    ],
)
def test_the_rule_refuses_weak_passwords_with_a_reason_in_chinese(password, why):
    problem = passwords.problem(password, name="zhangwei")
    assert problem is not None
    assert why in problem


@pytest.mark.parametrize("password", ["qingshui-2026", "Window station 7", "便民服务站2026年"])
def test_the_rule_accepts_a_mix_of_kinds_of_ten_or_more(password):
    assert passwords.problem(password, name="zhangwei") is None


def test_a_short_name_inside_a_good_password_does_not_refuse_it():
    assert passwords.problem("ba-nana-2026", name="an") is None
    assert passwords.problem("an", name="an") is not None


def test_generated_passwords_pass_the_rule_and_differ():
    made = {passwords.generate() for _ in range(20)}
    assert len(made) == 20
    assert all(passwords.problem(p, name="") is None for p in made)


def test_a_hash_verifies_only_its_password_and_no_password_never_verifies():
    stored = passwords.hash_password("qingshui-2026")
    assert stored.startswith("$argon2id$")
    assert passwords.verify(stored, "qingshui-2026")
    assert not passwords.verify(stored, "qingshui-2027")
    assert not passwords.verify(None, "qingshui-2026")
    assert not passwords.verify("not a hash", "qingshui-2026")


POLICY = Policy(threshold=5, base=timedelta(minutes=15), cap=timedelta(hours=24))


def test_five_failures_lock_for_fifteen_minutes_and_each_further_five_doubles_it():
    assert [POLICY.lock_for(n) for n in range(1, 5)] == [None] * 4
    assert POLICY.lock_for(5) == timedelta(minutes=15)
    assert POLICY.lock_for(6) is None  # counted, the next lock comes at 10
    assert POLICY.lock_for(10) == timedelta(minutes=30)
    assert POLICY.lock_for(15) == timedelta(hours=1)


def test_the_lock_never_grows_past_its_cap_however_many_failures():
    assert POLICY.lock_for(5 * 50) == timedelta(hours=24)
    assert POLICY.lock_for(5 * 10**6) == timedelta(hours=24)


def test_csrf_tokens_match_only_exactly_and_never_when_missing():
    token = csrf_token("a" * 43)
    assert tokens_match(token, token)
    assert not tokens_match(token[:-1] + ("A" if token[-1] != "A" else "B"), token)
    assert not tokens_match(None, token)
    assert not tokens_match("", token)
    assert not tokens_match("", "")
    assert not tokens_match("令牌", token)  # non-ASCII compares without raising
    assert csrf_token("a" * 43) != csrf_token("b" * 43)


@pytest.mark.parametrize(
    ("given", "goes"),
    [
        ("/cases?status=open", "/cases?status=open"),
        ("/", "/"),
        (None, "/"),
        ("https://evil.example/", "/"),
        ("//evil.example/x", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("/x\r\nSet-Cookie: a=b", "/"),
    ],
)
def test_after_signing_in_the_browser_goes_only_to_a_path_on_this_hub(given, goes):
    assert safe_next(given) == goes
