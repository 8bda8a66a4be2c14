"""What makes a confirmation unique (its words are templates/received.* and
already_reported.*)."""


def confirmation_key(request_id: str, contact_ref: str, channel: str = "email") -> str:
    """One confirmation per reporter of a request."""
    return f"confirmation:{request_id}:{contact_ref}:{channel}"
