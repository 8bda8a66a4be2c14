"""Settings are parsed once, typed, from the nameko config or the environment; a bad value
names its variable; a renamed variable still works under its old name, with a warning."""
import subprocess
import sys
from pathlib import Path

import pytest

from loop311_intake.settings import IntakeSettings
from loop311_notify.settings import NotifySettings
from loop311_shared.settings import SettingsError


def test_values_come_from_the_config_then_the_environment(monkeypatch):
    monkeypatch.setenv("DUPLICATE_RADIUS_METERS", "80")
    monkeypatch.setenv("OPEN311_API_KEYS", "from-env")

    settings = IntakeSettings.from_config({"OPEN311_API_KEYS": "a, b"})

    assert settings.duplicate_radius_meters == 80.0
    assert settings.open311_api_keys == ("a", "b")
    assert settings.event_retry_delays_ms == (1_000, 5_000, 30_000, 120_000, 600_000)


def test_token_holders_are_read_the_same_way_for_every_role():
    settings = IntakeSettings.from_config({
        "STAFF_API_TOKENS": "alice:t1, bob:t2", "ADMIN_API_TOKENS": "root:t3",
        "DISPATCHER_API_TOKENS": ""})
    assert settings.staff_api_tokens == {"t1": "alice", "t2": "bob"}
    assert settings.admin_api_tokens == {"t3": "root"}
    assert settings.dispatcher_api_tokens == {}  # nobody: the API refuses everyone


@pytest.mark.parametrize("config, named", [
    ({"DUPLICATE_RADIUS_METERS": "far"}, "DUPLICATE_RADIUS_METERS"),
    ({"EVENT_RETRY_DELAYS_MS": "1000,soon"}, "EVENT_RETRY_DELAYS_MS"),
    ({"GEOCODER": "google"}, "GEOCODER"),
    ({"CATEGORY_MIN_CONFIDENCE": "1.5"}, "CATEGORY_MIN_CONFIDENCE"),
])
def test_a_bad_value_is_refused_with_its_name(config, named):
    with pytest.raises(SettingsError, match=named):
        IntakeSettings.from_config(config)


def test_a_bad_value_in_the_environment_is_refused_too(monkeypatch):
    monkeypatch.setenv("SMTP_PORT", "twenty-five")
    with pytest.raises(SettingsError, match="SMTP_PORT"):
        NotifySettings.from_config({})


def test_a_renamed_variable_keeps_working_with_a_deprecation_warning(monkeypatch):
    monkeypatch.setenv("CATEGORY_CONFIDENCE", "0.35")
    with pytest.warns(DeprecationWarning, match="CATEGORY_CONFIDENCE is deprecated: set "
                                                "CATEGORY_MIN_CONFIDENCE"):
        settings = IntakeSettings.from_config({})
    assert settings.category_min_confidence == 0.35


def test_the_new_name_wins_over_the_old_one(monkeypatch):
    monkeypatch.setenv("CATEGORY_CONFIDENCE", "0.35")
    monkeypatch.setenv("CATEGORY_MIN_CONFIDENCE", "0.5")
    with pytest.warns(DeprecationWarning):
        assert IntakeSettings.from_config({}).category_min_confidence == 0.5


def test_the_settings_reference_is_generated_from_the_settings_classes():
    root = Path(__file__).resolve().parents[2]
    check = subprocess.run([sys.executable, str(root / "scripts" / "settings_reference.py"),
                            "--check"], capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, "run: python scripts/settings_reference.py"
