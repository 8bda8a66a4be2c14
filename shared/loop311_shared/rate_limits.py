"""Rate limits on public writes, shared by every replica through Redis (the `limits`
library's moving window). Over a limit: TooManyRequests with the seconds to wait.

If Redis cannot be reached, requests are let through (and logged): a city's intake keeps
taking reports when only its limiter is down.
"""
import logging
import math
import time

from limits import parse
from limits.storage import RedisStorage
from limits.strategies import MovingWindowRateLimiter
from nameko.extensions import DependencyProvider

from .errors import TooManyRequests
from .settings import settings_of

log = logging.getLogger(__name__)


def client_address(request, trusted_proxy_hops: int) -> str:
    """The caller's address: the connection's, or, behind `trusted_proxy_hops` proxies
    that each append to X-Forwarded-For, the one the outermost of them saw."""
    forwarded = [part.strip() for part in request.headers.get("X-Forwarded-For", "").split(",")
                 if part.strip()]
    if trusted_proxy_hops and len(forwarded) >= trusted_proxy_hops:
        return forwarded[-trusted_proxy_hops]
    return request.remote_addr or "unknown"


class RateLimiter:
    def __init__(self, redis_url: str, prefix: str = "loop311", trusted_proxy_hops: int = 0):
        self.limiter = MovingWindowRateLimiter(
            RedisStorage(redis_url, key_prefix=prefix, wrap_exceptions=True,
                         socket_timeout=2, socket_connect_timeout=2))
        self.trusted_proxy_hops = trusted_proxy_hops

    def hit_per_address(self, limit: str, what: str, request) -> None:
        """`hit`, counted for the caller's address (see client_address)."""
        self.hit(limit, what, "ip", client_address(request, self.trusted_proxy_hops))

    def hit(self, limit: str, what: str, *identifiers: str) -> None:
        """Count one `what` (a report, a text, a lookup) against `limit` ("30/minute") for
        `identifiers`; raise TooManyRequests when it is over."""
        if not limit:
            return
        item = parse(limit)
        try:
            if self.limiter.hit(item, what, *identifiers):
                return
            reset_at = self.limiter.get_window_stats(item, what, *identifiers).reset_time
        except Exception as error:  # the limiter's store is down: let the request through
            log.warning("rate limiter unavailable, not limiting %s: %r", what, error)
            return
        wait = max(1, math.ceil(reset_at - time.time()))
        raise TooManyRequests(f"too many {what}s: at most {limit.replace('/', ' per ')}; "
                              f"try again in {wait} s", wait)


class RateLimits(DependencyProvider):
    """The service's RateLimiter, from its settings' `redis_url` and `rate_limit_prefix`."""

    def setup(self):
        settings = settings_of(self.container)
        self.limiter = RateLimiter(settings.redis_url, settings.rate_limit_prefix,
                                   settings.trusted_proxy_hops)

    def get_dependency(self, worker_ctx) -> RateLimiter:
        return self.limiter
