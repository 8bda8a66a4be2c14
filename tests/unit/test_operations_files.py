"""What operators deploy with: the Kubernetes overlays (rendered, then checked against the
Kubernetes API schemas), the Prometheus alert rules (promtool, with their unit tests) and
the Grafana dashboard (every query on a metric something exports)."""
import json
import re
import shutil
import subprocess
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from devtools.kustomize_lite import render

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
SERVICES = ("intake", "routing", "sla", "notify")
KUBERNETES = "1.30.0"
EXPORTED = {"loop311_entrypoint_calls_total", "loop311_entrypoint_seconds_bucket",
            "loop311_outbox_oldest_unpublished_seconds", "loop311_ready",
            "loop311_background_last_success_timestamp_seconds",
            "rabbitmq_detailed_queue_messages_ready", "up"}


@pytest.fixture(params=["local", "production"])
def overlay(request):
    return request.param, render(K8S / "overlays" / request.param)


def by_kind(objects, kind):
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def test_every_rendered_object_is_valid_against_the_kubernetes_schemas(overlay):
    _, objects = overlay
    for document in objects:
        kubernetes_validate.validate(document, KUBERNETES, strict=True)
    with pytest.raises(kubernetes_validate.ValidationError):  # the check can fail
        kubernetes_validate.validate({**objects[0], "spec": {"replicas": "three"}}, KUBERNETES,
                                     strict=True)


def test_each_service_is_deployed_probed_limited_and_protected(overlay):
    name, objects = overlay
    deployments = by_kind(objects, "Deployment")
    assert set(deployments) == set(SERVICES)
    assert set(by_kind(objects, "Service")) == set(SERVICES)
    assert set(by_kind(objects, "PodDisruptionBudget")) == set(SERVICES)
    assert set(by_kind(objects, "HorizontalPodAutoscaler")) == {"intake"}
    for service, deployment in deployments.items():
        [container] = deployment["spec"]["template"]["spec"]["containers"]
        assert container["livenessProbe"]["httpGet"]["path"] == "/health/live"
        assert container["readinessProbe"]["httpGet"]["path"] == "/health/ready"
        assert container["resources"]["requests"] and container["resources"]["limits"]
        assert {"secretRef": {"name": f"loop311-{service}"}} in container["envFrom"]
        assert deployment["metadata"]["namespace"] == f"loop311{'-local' if name == 'local' else ''}"
    common = by_kind(objects, "ConfigMap")["loop311-common"]["data"]
    assert common["QUEUE_TYPE"] == ("quorum" if name == "production" else "classic")
    if name == "production":
        assert deployments["intake"]["spec"]["replicas"] == 3
        assert deployments["intake"]["spec"]["template"]["spec"]["containers"][0][
            "resources"]["limits"]["cpu"] == "2"
        assert by_kind(objects, "HorizontalPodAutoscaler")["intake"]["spec"]["minReplicas"] == 3


@pytest.mark.skipif(not shutil.which("kubectl"), reason="kubectl is not installed")
def test_kubectl_renders_the_same_objects(overlay):
    name, objects = overlay
    rendered = subprocess.run(["kubectl", "kustomize", str(K8S / "overlays" / name)],
                              capture_output=True, text=True, check=True).stdout
    theirs = {(o["kind"], o["metadata"]["name"]) for o in yaml.safe_load_all(rendered) if o}
    assert theirs == {(o["kind"], o["metadata"]["name"]) for o in objects}


PROMTOOL = shutil.which("promtool")


@pytest.mark.skipif(not PROMTOOL, reason="promtool is not installed (Debian: prometheus)")
def test_the_alert_rules_are_valid_and_their_unit_tests_pass():
    folder = ROOT / "deploy" / "prometheus"
    checked = subprocess.run([PROMTOOL, "check", "rules", "alerts.yml"], cwd=folder,
                             capture_output=True, text=True)
    assert checked.returncode == 0 and "SUCCESS: 6 rules found" in checked.stdout, checked
    tested = subprocess.run([PROMTOOL, "test", "rules", "alerts_test.yml"], cwd=folder,
                            capture_output=True, text=True)
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_the_alerts_and_the_dashboard_query_only_metrics_that_exist():
    rules = yaml.safe_load((ROOT / "deploy" / "prometheus" / "alerts.yml").read_text())
    dashboard = json.loads((ROOT / "deploy" / "grafana" / "loop311.json").read_text())
    queries = [rule["expr"] for group in rules["groups"] for rule in group["rules"]]
    queries += [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    assert dashboard["uid"] == "loop311" and len(dashboard["panels"]) >= 8
    for query in queries:
        used = set(re.findall(r"\b(loop311_[a-z_]+|rabbitmq_[a-z_]+|up)\b(?=\s*[{\[)])", query))
        assert used and used <= EXPORTED, (query, used - EXPORTED)
