"""Integrators' RabbitMQ users, through the management HTTP API.

A user gets read on the public event exchanges and the replay stream, and configure,
write and read on queues named `integrator.<name>.*` only: it can bind its own queues to
`<service>.events`, never to a private exchange, and cannot touch a service's queue.
"""
import re
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

import requests

from loop311_contracts.catalog import CATALOG
from loop311_shared.errors import Unavailable
from loop311_shared.topology import REPLAY_STREAM


def queue_prefix(integrator: str) -> str:
    return f"integrator.{integrator}."


def username_of(integrator: str) -> str:
    return f"integrator-{integrator}"


def public_exchanges() -> list[str]:
    return sorted({contract.exchange for contract in CATALOG.values() if not contract.private})


@dataclass(frozen=True)
class Permissions:
    configure: str
    write: str
    read: str

    @classmethod
    def for_integrator(cls, integrator: str) -> "Permissions":
        own = re.escape(queue_prefix(integrator)) + ".+"
        readable = [re.escape(name) for name in (*public_exchanges(), REPLAY_STREAM)]
        return cls(f"^{own}$", f"^{own}$", f"^({'|'.join(readable)}|{own})$")


def vhost_of(amqp_uri: str) -> str:
    path = urlsplit(amqp_uri).path
    return unquote(path[1:]) if len(path) > 1 else "/"


class BrokerAccounts:
    def __init__(self, management_url: str, vhost: str, timeout: float = 10.0):
        parts = urlsplit(management_url)
        self.base = f"{parts.scheme}://{parts.hostname}:{parts.port or 15672}{parts.path.rstrip('/')}"
        self.auth = (unquote(parts.username or "guest"), unquote(parts.password or "guest"))
        self.vhost = vhost
        self.timeout = timeout

    def _call(self, method: str, path: str, **kwargs) -> requests.Response:
        try:
            answer = requests.request(method, f"{self.base}/api/{path}", auth=self.auth,
                                      timeout=self.timeout, **kwargs)
        except requests.RequestException as error:
            raise Unavailable(f"the broker's management API is unreachable: {error}") from None
        if answer.status_code >= 400 and answer.status_code != 404:
            raise Unavailable(f"the broker's management API answered {answer.status_code} to "
                              f"{method} {path}: {answer.text[:200]}")
        return answer

    def exists(self, username: str) -> bool:
        return self._call("GET", f"users/{quote(username, safe='')}").status_code == 200

    def create(self, username: str, password: str, permissions: Permissions) -> None:
        """Make the user with its permissions, or nothing: a failure halfway removes it."""
        self._call("PUT", f"users/{quote(username, safe='')}",
                   json={"password": password, "tags": ""})
        try:
            answer = self._call("PUT", f"permissions/{quote(self.vhost, safe='')}/"
                                       f"{quote(username, safe='')}",
                                json={"configure": permissions.configure,
                                      "write": permissions.write, "read": permissions.read})
            if answer.status_code == 404:
                raise Unavailable(f"the broker has no virtual host {self.vhost!r}")
        except BaseException:
            self.remove(username)
            raise

    def remove(self, username: str) -> None:
        """Delete the user and close its open connections (it may be connected now)."""
        self._call("DELETE", f"users/{quote(username, safe='')}")
        connections = self._call("GET", "connections", params={"columns": "name,user"})
        for connection in connections.json() if connections.status_code == 200 else []:
            if connection.get("user") == username:
                self._call("DELETE", f"connections/{quote(connection['name'], safe='')}",
                           headers={"X-Reason": "integrator account revoked"})
