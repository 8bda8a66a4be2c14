"""Loading a body or a built report with its marshmallow schema, errors said plainly."""
from marshmallow import Schema, ValidationError

from .errors import Invalid


def describe_errors(messages) -> str:
    """marshmallow's error dict as one sentence a client can act on."""
    if not isinstance(messages, dict):
        return " ".join(map(str, messages)) if isinstance(messages, list) else str(messages)
    return "; ".join(
        f"{name}: {describe_errors(errors)}" for name, errors in sorted(messages.items(),
                                                                        key=lambda kv: str(kv[0])))


def load(schema: Schema, data):
    """Load `data` with `schema`, or raise Invalid saying every field that is wrong."""
    try:
        return schema.load(data)
    except ValidationError as exc:
        raise Invalid(describe_errors(exc.messages)) from exc
