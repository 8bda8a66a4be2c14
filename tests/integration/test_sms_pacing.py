"""The SMS pace is one for every replica: slots come from Redis, so two senders together
keep to the rate, and a Redis that cannot be reached fails loudly (the text is retried)."""
import secrets
import time

import eventlet
import pytest
import redis

from loop311_notify.adapters.pacing import Pacer

REDIS_URL = "redis://127.0.0.1:6379/0"


def test_two_replicas_share_one_pace():
    key = f"loop311:test-pace:{secrets.token_hex(4)}"
    replicas = [Pacer(REDIS_URL, key, per_second=20), Pacer(REDIS_URL, key, per_second=20)]
    pool = eventlet.GreenPool()
    started = time.monotonic()
    for number in range(30):
        pool.spawn(replicas[number % 2].wait)
    pool.waitall()
    # 30 slots at 20/s: the last one is 29 intervals after the first.
    assert time.monotonic() - started >= 29 / 20 - 0.05


def test_no_pace_means_no_wait_and_no_redis():
    assert Pacer("redis://127.0.0.1:1/0", "unused", per_second=0).wait() == 0.0


def test_an_unreachable_redis_raises_so_the_text_stays_pending():
    with pytest.raises(redis.ConnectionError):
        Pacer("redis://127.0.0.1:1/0", "k", per_second=1).wait()
