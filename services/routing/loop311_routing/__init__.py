"""Loop311 routing service."""
