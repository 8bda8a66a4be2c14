"""What notify loads once per container."""
from nameko.extensions import DependencyProvider

from .domain.messages import Messages, default_messages


class Templates(DependencyProvider):
    """Loads every message template when the container starts: a missing or broken one
    stops notify there, naming it, instead of failing a resident's message later."""

    def setup(self):
        self.messages = default_messages()

    def get_dependency(self, worker_ctx) -> Messages:
        return self.messages
