"""The words of the text-message channel: carrier keywords, the category menu, replies."""
KEYWORDS = {
    **dict.fromkeys(("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"), "stop"),
    **dict.fromkeys(("START", "YES", "UNSTOP"), "start"),
    **dict.fromkeys(("HELP", "INFO"), "help"),
}
HELP_REPLY = ("Loop311: text us a problem (a pothole, a broken light...) and where it is. "
              "Reply STOP to stop messages.")


def opt_reply(opted_out: bool) -> str:
    return ("You will get no more messages from Loop311. Reply START to undo." if opted_out
            else "Messages from Loop311 are on again. Reply STOP to stop them.")


def menu_text(services: list[tuple[str, str]]) -> str:
    return "Reply " + ", ".join(f"{n} {name}" for n, (_, name) in enumerate(services, 1))


def chosen_service(body: str, services: list[tuple[str, str]]) -> str | None:
    """The service code a texter picked: by menu number, code or name."""
    if body.isascii() and body.isdigit() and 1 <= int(body) <= len(services):
        return services[int(body) - 1][0]
    if body.lower() in dict(services):
        return body.lower()
    return {name.upper(): code for code, name in services}.get(body.upper())
