"""One pace for every replica: each text waits for its own slot, handed out by Redis.

A Lua script keeps the next free slot of a provider; each call takes the later of now and
that slot, and moves it on by 1/rate seconds. Time is Redis's own, so replicas on hosts
whose clocks differ still share one pace. A burst is spread out, never dropped: if Redis
cannot be reached the text stays in the ledger and is tried again.
"""
import time

import redis

RESERVE = """
local now = redis.call('TIME')
local now_s = tonumber(now[1]) + tonumber(now[2]) / 1000000
local interval = tonumber(ARGV[1])
local slot = math.max(now_s, tonumber(redis.call('GET', KEYS[1]) or '0'))
redis.call('SET', KEYS[1], string.format('%.6f', slot + interval),
           'PX', math.ceil((slot + interval - now_s) * 1000) + 60000)
return string.format('%.6f', slot - now_s)
"""


class Pacer:
    def __init__(self, redis_url: str, key: str, per_second: float):
        self.key = key
        self.interval = 1 / per_second if per_second > 0 else 0.0
        self.client = redis.Redis.from_url(redis_url, socket_timeout=5) if self.interval else None
        self.reserve = self.client.register_script(RESERVE) if self.client else None

    def wait(self) -> float:
        """Block until this caller's slot; return how long it waited (seconds)."""
        if not self.reserve:
            return 0.0
        delay = float(self.reserve(keys=[self.key], args=[f"{self.interval:.6f}"]))
        if delay > 0:
            time.sleep(delay)
        return max(delay, 0.0)
