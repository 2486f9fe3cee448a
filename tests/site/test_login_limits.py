"""Log-in limits (login_guard + django-axes) through the admin's log-in form, with the test client.

Limits are lowered per test (3 per account and address, 5 per address) and the hasher's work
factor too (the bound on concurrent hashing, not PBKDF2's cost, is under test here). Time passing
is the stored attempts growing older (their `attempt_time` moved back), never a sleep.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import PBKDF2PasswordHasher, check_password, make_password
from django.db.models import F
from django.test import Client, RequestFactory
from django.test.utils import override_settings

from login_guard import hashing, memory
from login_guard.hashers import BoundedPBKDF2PasswordHasher
from login_guard.limits import client_address

pytestmark = pytest.mark.django_db
LOGIN = "/admin/login/"
PASSWORD = "the-right-password-1"
WRONG_FORM = "Please enter the correct"
LIMITS = {
    "HIPPO_LOGIN_FAILURES": 3,
    "HIPPO_LOGIN_FAILURES_PER_ADDRESS": 5,
    "HIPPO_LOGIN_LOCKOUT_SECONDS": 900,
}


@pytest.fixture(autouse=True)
def limits(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(BoundedPBKDF2PasswordHasher, "iterations", 2_000)
    memory.forget_all()
    with override_settings(**LIMITS):
        yield
    memory.forget_all()


@pytest.fixture
def admin_user() -> None:
    get_user_model().objects.create_superuser("admin", "admin@example.com", PASSWORD)


def log_in(
    client: Client, username: str, password: str, address: str = "10.0.0.1", html: bool = False
) -> object:
    headers = {"HTTP_ACCEPT": "text/html,application/xhtml+xml"} if html else {}
    return client.post(
        LOGIN,
        {"username": username, "password": password, "next": "/admin/"},
        REMOTE_ADDR=address,
        **headers,  # type: ignore[arg-type]
    )


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def age_attempts(seconds: int) -> None:
    """Make every stored failure `seconds` older, as if that much time had passed."""
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(seconds=seconds))


def test_wrong_passwords_then_429_and_the_right_one_waits_for_the_lockout(
    admin_user: None,
) -> None:
    client = Client()
    for _ in range(2):
        answer = log_in(client, "admin", "wrong")
        assert answer.status_code == 200  # type: ignore[attr-defined]
        assert WRONG_FORM in answer.content.decode()  # type: ignore[attr-defined]
    locked = log_in(client, "admin", "wrong")
    assert locked.status_code == 429  # type: ignore[attr-defined]
    assert 890 <= int(locked["Retry-After"]) <= 900  # type: ignore[index]
    error = locked.json()["error"]  # type: ignore[attr-defined]
    assert error["code"] == "too_many_login_attempts"
    assert error["fields"] == {}
    assert "Try again in 15 minutes" in error["message"]

    right = log_in(client, "admin", PASSWORD)
    assert right.status_code == 429  # type: ignore[attr-defined]
    assert not logged_in(client)
    page = log_in(client, "admin", PASSWORD, html=True)
    assert page.status_code == 429  # type: ignore[attr-defined]
    assert page["Content-Type"].startswith("text/html")  # type: ignore[index]
    assert "Too many failed log-in attempts" in page.content.decode()  # type: ignore[attr-defined]

    age_attempts(600)  # ten minutes later: still locked, and Retry-After counts down
    still = log_in(client, "admin", PASSWORD)
    assert still.status_code == 429  # type: ignore[attr-defined]
    assert 290 <= int(still["Retry-After"]) <= 300  # type: ignore[index]

    age_attempts(301)  # the lockout lapsed
    done = log_in(client, "admin", PASSWORD)
    assert done.status_code == 302  # type: ignore[attr-defined]
    assert logged_in(client)
    assert not AccessAttempt.objects.exists()  # a successful log-in resets the failures


def test_an_account_locked_from_one_address_logs_in_from_another(admin_user: None) -> None:
    for _ in range(3):
        log_in(Client(), "admin", "wrong", address="10.0.0.1")
    assert log_in(Client(), "admin", PASSWORD, address="10.0.0.1").status_code == 429  # type: ignore[attr-defined]
    other = Client()
    assert log_in(other, "admin", PASSWORD, address="10.0.0.2").status_code == 302  # type: ignore[attr-defined]
    assert logged_in(other)


def test_one_address_trying_many_accounts_is_locked_out(admin_user: None) -> None:
    answers = [log_in(Client(), f"user{n}", "wrong", address="10.0.0.3") for n in range(5)]
    assert [a.status_code for a in answers] == [200, 200, 200, 200, 429]  # type: ignore[attr-defined]
    # Every account from that address, even the right password of a real one.
    assert log_in(Client(), "admin", PASSWORD, address="10.0.0.3").status_code == 429  # type: ignore[attr-defined]
    assert log_in(Client(), "admin", PASSWORD, address="10.0.0.4").status_code == 302  # type: ignore[attr-defined]


def test_an_unknown_account_is_answered_like_a_known_one(admin_user: None) -> None:
    def answers(username: str, address: str) -> list[tuple[int, str]]:
        seen = []
        for _ in range(4):
            answer = log_in(Client(), username, "wrong", address=address)
            body = answer.json()["error"]["message"] if answer.status_code == 429 else ""  # type: ignore[attr-defined]
            seen.append((answer.status_code, body))  # type: ignore[attr-defined]
        return seen

    known = answers("admin", "10.0.1.1")
    unknown = answers("nobody-by-this-name", "10.0.1.2")
    assert known == unknown
    assert [status for status, _ in known] == [200, 200, 429, 429]


def test_no_free_hashing_slot_is_a_429_not_a_failed_log_in(admin_user: None) -> None:
    slots = hashing.hashing_slots()
    release = threading.Event()
    started = threading.Event()

    def hold_slot() -> None:
        started.set()
        release.wait(10)

    holder = threading.Thread(target=slots.run, args=(hold_slot,))
    holder.start()
    try:
        assert started.wait(5)
        for html in (False, True):
            answer = log_in(Client(), "admin", PASSWORD, html=html)
            assert answer.status_code == 429  # type: ignore[attr-defined]
            assert answer["Retry-After"] == "1"  # type: ignore[index]
        assert answer["Content-Type"].startswith("text/html")  # type: ignore[index]
        busy = log_in(Client(), "admin", "wrong")
        assert busy.json()["error"]["code"] == "login_busy"  # type: ignore[attr-defined]
        assert not AccessAttempt.objects.exists()  # not counted as a wrong password
    finally:
        release.set()
        holder.join(10)
    client = Client()
    assert log_in(client, "admin", PASSWORD).status_code == 302  # type: ignore[attr-defined]


def test_hashing_runs_one_at_a_time_on_low_priority_threads() -> None:
    slots = hashing.HashingSlots(slots=1, wait=5.0, niceness=10)
    lock = threading.Lock()
    running = [0]
    most = [0]
    niceness: list[int] = []

    def work() -> None:
        import os
        import time

        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
            niceness.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
        time.sleep(0.05)
        with lock:
            running[0] -= 1

    threads = [threading.Thread(target=slots.run, args=(work,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert most[0] == 1
    assert niceness == [10] * 4


def test_stored_hashes_keep_verifying() -> None:
    stored = PBKDF2PasswordHasher().encode(PASSWORD, "somesalt1234")
    assert BoundedPBKDF2PasswordHasher.algorithm == PBKDF2PasswordHasher.algorithm
    assert check_password(PASSWORD, stored)
    assert not check_password("wrong", stored)
    assert make_password(PASSWORD).startswith("pbkdf2_sha256$")


@pytest.mark.parametrize(
    ("trusted", "remote", "forwarded", "client"),
    [
        ([], "10.1.1.1", "1.2.3.4", "10.1.1.1"),  # no proxy trusted: the header is ignored
        (["10.0.0.0/8"], "10.1.1.1", "1.2.3.4", "1.2.3.4"),
        (["10.0.0.0/8"], "10.1.1.1", "6.6.6.6, 1.2.3.4, 10.2.2.2", "1.2.3.4"),  # spoofed left
        (["10.0.0.0/8"], "8.8.8.8", "1.2.3.4", "8.8.8.8"),  # not from a trusted proxy
        (["10.0.0.0/8"], "10.1.1.1", "not-an-address", "10.1.1.1"),
        (["10.0.0.0/8"], "10.1.1.1", "", "10.1.1.1"),
    ],
)
def test_the_client_address_behind_trusted_proxies(
    trusted: list[str], remote: str, forwarded: str, client: str
) -> None:
    request = RequestFactory().post(LOGIN, REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    with override_settings(HIPPO_TRUSTED_PROXIES=trusted):
        assert client_address(request) == client


def test_a_username_with_nul_or_too_long_is_counted_not_a_500() -> None:
    from django.contrib.auth import authenticate

    request = RequestFactory().post(LOGIN, REMOTE_ADDR="10.0.2.1")
    assert authenticate(request, username="a\0b" + "x" * 400, password="wrong") is None
    attempt = AccessAttempt.objects.get()
    assert attempt.username == "ab" + "x" * 253


def wsgi_post(username: str, address: str) -> tuple[str, dict[str, str], bytes]:
    """POST the log-in form through the whole middleware chain, without a CSRF token.

    Django's test client enforcing CSRF, as a browser-less client would meet it: the view would
    answer 403, so a 429 can only come from the gate at the top of the chain. (Calling the WSGI
    application directly would also fire `request_finished`, which closes the test's database
    connection on PostgreSQL.)
    """
    answer = Client(enforce_csrf_checks=True).post(
        LOGIN,
        urlencode({"username": username, "password": PASSWORD}),
        content_type="application/x-www-form-urlencoded",  # as the admin's form sends it
        REMOTE_ADDR=address,
    )
    return f"{answer.status_code} {answer.reason_phrase}", dict(answer.headers), answer.content


def test_the_gate_refuses_known_lockouts_before_csrf_and_the_form(admin_user: None) -> None:
    # The view would answer this token-less POST 403 (CSRF): a 429 comes from the gate at the
    # top of the middleware chain.
    assert wsgi_post("admin", "10.0.3.1")[0].startswith("403")
    for _ in range(3):
        log_in(Client(), "admin", "wrong", address="10.0.3.1")
    status, headers, body = wsgi_post("admin", "10.0.3.1")
    assert status.startswith("429")
    assert 890 <= int(headers["Retry-After"]) <= 900
    assert b"too_many_login_attempts" in body
    assert wsgi_post("someone-else", "10.0.3.1")[0].startswith("403")  # only that account
    assert wsgi_post("admin", "10.0.3.2")[0].startswith("403")  # only from that address
    for n in range(5):
        log_in(Client(), f"user{n}", "wrong", address="10.0.3.3")
    assert wsgi_post("anyone", "10.0.3.3")[0].startswith("429")  # the whole address


def test_the_gate_refuses_log_ins_while_every_hashing_slot_is_taken(admin_user: None) -> None:
    memory.remember_path(LOGIN)
    slots = hashing.hashing_slots()
    release, started = threading.Event(), threading.Event()

    def hold_slot() -> None:
        started.set()
        release.wait(10)

    holder = threading.Thread(target=slots.run, args=(hold_slot,))
    holder.start()
    try:
        assert started.wait(5)
        status, headers, body = wsgi_post("admin", "10.0.4.1")
        assert status.startswith("429")
        assert headers["Retry-After"] == "1"
        assert b"login_busy" in body
    finally:
        release.set()
        holder.join(10)
    assert wsgi_post("admin", "10.0.4.1")[0].startswith("403")  # Django's turn again
