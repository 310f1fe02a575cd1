"""Throttling holds under parallel guesses on both databases, backs off, and gives the same answers
for known and unknown usernames; a stranger's guesses from elsewhere do not lock the admin out."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from core import auth, login_throttle
from db.base import utcnow
from db.session import AppSession
from tests.factories import PASSWORD

ATTACKER = "203.0.113.9"


def _guess(engine, username, password, address=ATTACKER, now=None):
    with AppSession(bind=engine, expire_on_commit=False) as s:
        result = auth.authenticate(s, username, password, now=now, address=address)
        s.commit()
        return result


def test_twenty_parallel_wrong_guesses_lock_after_exactly_five(engine, session, world):
    now = utcnow()
    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(lambda _: _guess(engine, "member_a1", "wrong-password", now=now), range(20)))
    keys = [r.error_key for r in results]
    assert keys.count("login.wrong_password") == 4  # tries 1-4 were checked and told how many are left
    assert keys.count("sec.login_locked") == 16  # the 5th set the lock; 15 more were refused unchecked
    pair, user_key, _addr = (k for k, _ in login_throttle.keys_for("member_a1", ATTACKER))
    with AppSession(bind=engine) as s:
        assert login_throttle.counters(s, pair)[0] == 5  # counter exactly right
        assert login_throttle.counters(s, user_key)[0] == 5
        assert login_throttle.counters(s, pair)[1] == now + login_throttle.BASE_LOCK
    # still locked for the right password from that address
    assert _guess(engine, "member_a1", PASSWORD, now=now).error_key == "sec.login_locked"


def test_unknown_and_known_usernames_get_the_same_answers(engine, session, world):
    now = utcnow()
    known = [_guess(engine, "member_a1", "wrong-password", now=now) for _ in range(6)]
    unknown = [_guess(engine, "no.such.user", "wrong-password", now=now) for _ in range(6)]
    assert [(r.error_key, r.params.get("left")) for r in known] == [(r.error_key, r.params.get("left")) for r in unknown]


def test_a_stranger_cannot_lock_the_admin_out(engine, session, world):
    now = utcnow()
    for _ in range(10):
        _guess(engine, "admin", "wrong-password", now=now)
    assert _guess(engine, "admin", "wrong-password", now=now).error_key == "sec.login_locked"
    # the admin, from their own machine, still signs in
    assert _guess(engine, "admin", PASSWORD, address="198.51.100.7", now=now).ok


def test_each_lock_in_a_row_doubles_the_next_one(engine, session, world):
    now = utcnow()
    locks = []
    for _ in range(3):
        for _ in range(login_throttle.PAIR_LIMIT):
            result = _guess(engine, "member_a1", "wrong-password", now=now)
        locks.append(result.params["until"] - now)
        now = result.params["until"] + timedelta(seconds=1)
    assert locks == [timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4)]
    # a right password ends the back-off
    assert _guess(engine, "member_a1", PASSWORD, now=now).ok
    for _ in range(login_throttle.PAIR_LIMIT):
        result = _guess(engine, "member_a1", "wrong-password", now=now)
    assert result.params["until"] - now == timedelta(minutes=1)


def test_one_address_guessing_many_usernames_is_slowed_down(engine, session, world):
    now = utcnow()
    results = [_guess(engine, f"user{i}", "wrong-password", now=now) for i in range(login_throttle.ADDRESS_LIMIT + 2)]
    assert results[-1].error_key == "sec.login_locked"
    assert _guess(engine, "member_a1", PASSWORD, address="198.51.100.7", now=now).ok


def test_an_admin_reset_lifts_every_lock_on_the_username(engine, session, world):
    now = utcnow()
    for _ in range(6):
        _guess(engine, "member_a1", "wrong-password", now=now)
    with AppSession(bind=engine, expire_on_commit=False) as s:
        auth.reset_password(s, world.actors["admin"], world.users["member_a1"].id, "a fresh passphrase")
        s.commit()
    assert _guess(engine, "member_a1", "a fresh passphrase", now=now).ok


def test_lock_durations_are_capped():
    assert login_throttle.lock_duration(0) == timedelta(minutes=1)
    assert login_throttle.lock_duration(50) == login_throttle.MAX_LOCK
