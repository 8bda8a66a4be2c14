def is_id(text: str) -> bool:
    """Whether `text` can be a row id: ASCII digits only ('²' is a digit to str.isdigit)."""
    return text.isascii() and text.isdigit() and len(text) <= 18
