"""Loop311 intake service."""
