"""Loop311 SLA service."""
