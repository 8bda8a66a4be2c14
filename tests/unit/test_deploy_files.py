"""docker-compose.yml and deploy/: what operators run. No Docker engine runs here, so
the files are checked by parsing them (and by `docker-compose config` where installed)."""
import importlib
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SERVICES = {"intake": "IntakeService", "routing": "RoutingService", "sla": "SlaService",
            "notify": "NotifyService"}


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def dockerfile():
    return (ROOT / "deploy" / "Dockerfile").read_text()


@pytest.mark.parametrize("name", SERVICES)
def test_each_service_is_built_from_the_shared_dockerfile_as_its_own_image(compose, name):
    service = compose["services"][name]
    assert service["build"]["dockerfile"] == "deploy/Dockerfile"
    assert service["build"]["args"] == {"SERVICE": name, "SERVICE_CLASS": SERVICES[name]}
    assert service["image"] == f"loop311/{name}"
    module = importlib.import_module(f"loop311_{name}.service")
    assert getattr(module, SERVICES[name]).name == name


@pytest.mark.parametrize("name", SERVICES)
def test_each_service_waits_for_healthy_broker_and_database(compose, name):
    depends = compose["services"][name]["depends_on"]
    # notify paces SMS and intake counts rate limits in the Redis every replica shares.
    shared_pace = {"redis": {"condition": "service_healthy"}} if name in ("notify", "intake") else {}
    assert depends == {"rabbitmq": {"condition": "service_healthy"},
                       "postgres": {"condition": "service_healthy"}, **shared_pace}
    assert "healthcheck" in compose["services"]["rabbitmq"]
    assert "healthcheck" in compose["services"]["postgres"]


def test_each_service_has_its_own_database_which_postgres_creates(compose):
    created = set(re.findall(r"CREATE DATABASE (\w+)",
                             (ROOT / "deploy" / "postgres-init.sql").read_text()))
    databases = {name: compose["services"][name]["environment"]["DATABASE_URL"].rsplit("/", 1)[1]
                 for name in SERVICES}
    assert len(set(databases.values())) == len(SERVICES)
    assert set(databases.values()) == created


def test_notify_sends_mail_to_the_compose_mail_catcher(compose):
    environment = compose["services"]["notify"]["environment"]
    assert environment["SMTP_HOST"] in compose["services"]


def test_the_image_installs_the_tested_set_and_checks_its_health(dockerfile):
    assert "-c /app/constraints.txt" in dockerfile
    assert "HEALTHCHECK" in dockerfile and "/health" in dockerfile
    assert re.search(r"^USER (?!root)", dockerfile, re.MULTILINE)


def test_docker_compose_accepts_the_file():
    binary = shutil.which("docker-compose")
    if binary is None:
        pytest.skip("docker-compose is not installed (apt-get install docker-compose)")
    result = subprocess.run([binary, "-f", str(ROOT / "docker-compose.yml"), "config", "-q"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
