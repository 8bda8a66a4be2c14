"""A bad setting stops a service when it starts, naming the variable, not at the first
request that happens to read it."""
import pytest

from loop311_intake.service import IntakeService
from loop311_shared.settings import SettingsError


def test_intake_refuses_to_start_with_a_bad_setting(container_factory, service_config):
    container = container_factory(IntakeService, service_config(
        "intake", DUPLICATE_WINDOW_HOURS="three days"))

    with pytest.raises(SettingsError, match="DUPLICATE_WINDOW_HOURS"):
        container.start()
