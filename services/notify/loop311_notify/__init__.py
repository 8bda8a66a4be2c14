"""Loop311 notify service."""
