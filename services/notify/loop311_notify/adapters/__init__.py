"""notify's outside world: the SMTP server."""
