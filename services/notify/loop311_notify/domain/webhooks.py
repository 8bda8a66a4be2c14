"""Webhook rules: which addresses may receive, when a failed delivery is tried again, and
when an endpoint that keeps failing is switched off."""
import base64
import ipaddress
import secrets
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from loop311_shared.errors import Unprocessable

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and 24 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


@dataclass(frozen=True)
class RetrySchedule:
    """Seconds to wait before each retry; past the last, the delivery has failed. An
    endpoint failing for `disable_after` (every attempt since its last success) is
    disabled and its owner told."""

    delays: tuple[float, ...]
    disable_after: timedelta

    def next_attempt(self, attempts_made: int, now: datetime) -> datetime | None:
        if attempts_made > len(self.delays):
            return None
        return now + timedelta(seconds=self.delays[attempts_made - 1])

    def should_disable(self, failing_since: datetime, now: datetime) -> bool:
        return now - failing_since >= self.disable_after


@dataclass(frozen=True)
class Targets:
    """Where webhooks may not go: the broker's and the services' own ports on this
    platform's hosts (loopback, private networks, the broker's host), and link-local
    addresses (cloud metadata) anywhere."""

    forbidden_ports: frozenset[int]
    platform_hosts: tuple[str, ...] = ()

    def check(self, url: str) -> None:
        """Raise Unprocessable, saying why, for an address no webhook may use."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise Unprocessable(f"url must be an http:// or https:// address, not {url!r}")
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            raise Unprocessable(f"url {url!r} has an invalid port") from None
        addresses = resolve(parts.hostname, port)
        platform = {address for host in self.platform_hosts for address in resolve_quietly(host)}
        for address in addresses:
            ip = ipaddress.ip_address(address)
            if ip.is_link_local or ip.is_multicast or ip.is_unspecified:
                raise Unprocessable(f"url {url!r} points at {address}, which no webhook may use")
            on_platform = ip.is_loopback or ip.is_private or address in platform
            if on_platform and port in self.forbidden_ports:
                raise Unprocessable(f"url {url!r} points at port {port} of {address}, the "
                                    "broker's or a Loop311 service's own port")


def resolve(host: str, port: int) -> set[str]:
    try:
        found = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        raise Unprocessable(f"the webhook's host {host!r} cannot be resolved") from None
    return {info[4][0].split("%")[0] for info in found}


def resolve_quietly(host: str) -> set[str]:
    try:
        return resolve(host, 0)
    except Unprocessable:
        return set()


def targets_from(settings, amqp_uri: str) -> Targets:
    """The forbidden targets of this deployment: its ports, on its broker's host too."""
    return Targets(frozenset(settings.webhook_forbidden_ports),
                   tuple(host for host in (urlsplit(amqp_uri).hostname,
                                           urlsplit(settings.rabbitmq_management_url).hostname)
                         if host))
