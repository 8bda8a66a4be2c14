"""Write docs/settings.md from the services' settings classes (the one source of truth).

Usage: python scripts/settings_reference.py [--check]
"""
import sys
from pathlib import Path

from loop311_intake.settings import IntakeSettings
from loop311_notify.settings import NotifySettings
from loop311_routing.settings import RoutingSettings
from loop311_shared.settings import ServiceSettings
from loop311_sla.settings import SlaSettings

TARGET = Path(__file__).resolve().parent.parent / "docs" / "settings.md"
SERVICES = {"intake": IntakeSettings, "routing": RoutingSettings, "sla": SlaSettings,
            "notify": NotifySettings}
HEADER = """# Settings

Generated from each service's `settings.py` by `scripts/settings_reference.py` (a test
fails when this file is out of date). Every setting is an environment variable, parsed
once when the service starts; a bad value stops the service with the variable's name.
nameko's own (`AMQP_URI`, `WEB_SERVER_ADDRESS`, `MAX_WORKERS`, `LOG_LEVEL`) are in each
service's `config.yml`. A list is comma-separated; tokens are `name:token` pairs.
"""


def default_of(field) -> str:
    if field.default_factory is not None:
        value = field.default_factory()
    else:
        value = field.default
    if value in ("", (), {}, None):
        return "—"
    if isinstance(value, tuple):
        return "`" + ",".join(map(str, value)) + "`"
    return f"`{value}`"


def table(fields, names) -> list[str]:
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for name in names:
        field = fields[name]
        rows.append(f"| `{name.upper()}` | {default_of(field)} | {field.description or ''} |")
    return rows


def render() -> str:
    common = ServiceSettings.model_fields
    lines = [HEADER, "## Every service", "", *table(common, common), ""]
    for service, settings in SERVICES.items():
        own = [name for name in settings.model_fields if name not in common]
        lines += [f"## {service}", ""]
        lines += table(settings.model_fields, own) if own else ["Nothing beyond the above."]
        if settings.renamed:
            lines += ["", "Renamed (the old name still works, with a deprecation warning): " +
                      ", ".join(f"`{old}` → `{new}`" for old, new in settings.renamed.items())
                      + "."]
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    text = render()
    if "--check" in sys.argv:
        sys.exit(0 if TARGET.read_text() == text else "docs/settings.md is out of date")
    TARGET.write_text(text)
    print(f"wrote {TARGET}")
