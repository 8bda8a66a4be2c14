"""Every service has the same rooms, and its event subscriptions match its handlers."""
import importlib
import inspect
import re
from pathlib import Path

import pytest

from loop311_contracts.catalog import SUBSCRIPTIONS
from loop311_shared.messaging import EventHandler
from loop311_shared.settings import SettingsProvider

SERVICES = {"intake": "IntakeService", "routing": "RoutingService", "sla": "SlaService",
            "notify": "NotifyService"}
ROOMS = ("service", "settings", "unit_of_work", "repository", "handlers", "models")


def service_class(name):
    return getattr(importlib.import_module(f"loop311_{name}.service"), SERVICES[name])


def handled_events(cls, consumer) -> dict[str, str]:
    """event type -> the entrypoint method consuming it from `consumer`'s queues."""
    handled = {}
    for attribute in dir(cls):
        for entrypoint in getattr(getattr(cls, attribute), "nameko_entrypoints", ()) or ():
            if isinstance(entrypoint, EventHandler) and (entrypoint.consumer or cls.name) == consumer:
                assert entrypoint.event_type not in handled, f"{entrypoint.event_type} twice"
                handled[entrypoint.event_type] = attribute
    return handled


@pytest.mark.parametrize("name", SERVICES)
def test_subscriptions_and_event_handlers_match_both_ways(name):
    handled = handled_events(service_class(name), name)
    subscribed = set(SUBSCRIPTIONS.get(name, ()))
    assert subscribed - set(handled) == set(), "subscribed to, but no handler"
    assert set(handled) - subscribed == set(), "a handler for an event nobody routes here"
    for event_type, method in handled.items():
        assert method == f"handle_{event_type}"


def test_notify_fans_every_public_event_out_to_webhooks_from_queues_of_its_own():
    handled = handled_events(service_class("notify"), "webhooks")

    assert set(handled) == set(SUBSCRIPTIONS["webhooks"])
    assert set(handled.values()) == {"fan_out_to_webhooks"}


@pytest.mark.parametrize("name", SERVICES)
def test_every_service_has_the_same_rooms(name):
    package = Path(importlib.import_module(f"loop311_{name}").__file__).parent
    for room in ROOMS:
        assert (package / f"{room}.py").exists() or (package / room).is_dir(), \
            f"loop311_{name} has no {room}"
    assert (package / "migrations" / "versions").is_dir()
    settings = [value for value in vars(service_class(name)).values()
                if isinstance(value, SettingsProvider)]
    assert len(settings) == 1, "settings are parsed once, by one SettingsProvider"


@pytest.mark.parametrize("name", SERVICES)
def test_entrypoints_hold_no_sql(name):
    source = inspect.getsource(importlib.import_module(f"loop311_{name}.service"))
    assert "sqlalchemy" not in source
    assert ".execute(" not in source


@pytest.mark.parametrize("name", SERVICES)
def test_only_the_repository_writes_the_tables(name):
    package = Path(importlib.import_module(f"loop311_{name}").__file__).parent
    writers = []
    for module in package.rglob("*.py"):
        relative = module.relative_to(package)
        if relative.parts[0] in ("repository", "migrations") or module.name == "repository.py":
            continue
        imported = re.findall(r"^from sqlalchemy import (.+)$", module.read_text(), re.MULTILINE)
        if {"insert", "update", "delete"} & {n.strip() for line in imported for n in line.split(",")}:
            writers.append(str(relative))
    assert writers == []
