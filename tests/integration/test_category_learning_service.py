"""Category inference in the running intake: the authenticated history upload, the
background training run and its progress, the model serving a report to the general
category, suggestions in the staff API, and rollback by one call."""
import json

import pytest
import requests

from labelled_reports import MAPPING, as_csv, labelled_reports
from support import TEST_ADMIN_TOKEN, TEST_API_KEY, EventTap, wait_until

ADMIN = {"Authorization": f"Bearer {TEST_ADMIN_TOKEN}"}
STAFF = {"Authorization": "Bearer crew-token"}
PLACE = {"lat": "27.7705", "long": "-82.6383"}


@pytest.fixture
def intake(start_intake, service_config):
    config = start_intake(service_config("intake", STAFF_API_TOKENS="alice:crew-token",
                                         CATEGORY_TRAINING_POLL_SECONDS=0.2))
    config["base"] = f"http://{config['WEB_SERVER_ADDRESS']}"
    return config


def upload(intake, data, mapping=None, headers=ADMIN, filename="history.csv"):
    return requests.post(f"{intake['base']}/admin/v1/category-history", headers=headers,
                         files={"reports": (filename, data, "text/csv")},
                         data={"mapping": json.dumps(MAPPING if mapping is None else mapping)},
                         timeout=30)


def training_run(intake, run_id):
    return requests.get(f"{intake['base']}/admin/v1/category-models/training-runs/{run_id}",
                        headers=ADMIN, timeout=5).json()


def trained(intake, run_id):
    wait_until(lambda: training_run(intake, run_id)["state"] not in ("queued", "running"),
               timeout=120, interval=0.2, message="the training run did not finish")
    return training_run(intake, run_id)


def test_history_uploaded_trains_in_the_background_and_serves_the_general_category(intake):
    created = EventTap(intake["AMQP_URI"], "request_created")
    answer = upload(intake, as_csv(labelled_reports(600)))
    assert answer.status_code == 202, answer.text
    assert answer.json()["examples"] == 600

    result = trained(intake, answer.json()["training_run"])
    assert result["state"] == "promoted", result
    models = requests.get(f"{intake['base']}/admin/v1/category-models", headers=ADMIN,
                          timeout=5).json()
    [version] = models["versions"]
    assert version["active"] and version["quality"]["held_out"] == 120

    posted = requests.post(f"{intake['base']}/open311/v2/requests.json", data={
        "api_key": TEST_API_KEY, "service_code": "general", **PLACE,
        "description": "The street light on our corner has been flickering all week"},
        timeout=10)
    assert posted.status_code == 201, posted.text
    event = created.next()["data"]
    assert event["service_code"] == "streetlight"
    assert event["category_suggestions"][0]["service_code"] == "streetlight"

    request_id = posted.json()[0]["service_request_id"]
    shown = requests.get(f"{intake['base']}/staff/v1/requests/{request_id}/category-suggestions",
                         headers=STAFF, timeout=5)
    assert shown.status_code == 200 and shown.json()["guessed_by"] == \
        f"model v{version['version']}"
    assert requests.get(f"{intake['base']}/staff/v1/requests/{request_id}/category-suggestions",
                        timeout=5).status_code == 401


def test_a_bad_upload_is_a_clear_400_and_the_model_keeps_serving(intake):
    first = upload(intake, as_csv(labelled_reports(600)))
    trained(intake, first.json()["training_run"])

    for data, mapping, says in [
        ("description,category\n".encode() + "caf\xe9 closed,tree\n".encode("latin-1"), None,
         "not UTF-8"),
        (b"text,kind\nhole,pothole\n", None, "missing columns: description, category"),
        (b"", None, "the file is empty"),
        (as_csv(labelled_reports(600)), {"Potholes": "moon"}, "does not have: moon"),
        (as_csv(labelled_reports(30)), None, "fewer than 10 reports for"),
    ]:
        answer = upload(intake, data, mapping)
        assert answer.status_code == 400, answer.text
        assert says in answer.json()[0]["description"]
    not_json = requests.post(f"{intake['base']}/admin/v1/category-history", headers=ADMIN,
                             files={"reports": ("h.csv", b"description,category\n")},
                             data={"mapping": "pothole=pothole"}, timeout=5)
    assert not_json.status_code == 400 and "mapping is not JSON" in not_json.text
    assert upload(intake, b"x", headers={}).status_code == 401

    models = requests.get(f"{intake['base']}/admin/v1/category-models", headers=ADMIN,
                          timeout=5).json()["versions"]
    assert [version["active"] for version in models] == [True]


def test_rollback_to_an_earlier_version_is_one_call(intake):
    first = upload(intake, as_csv(labelled_reports(600)))
    trained(intake, first.json()["training_run"])
    again = requests.post(f"{intake['base']}/admin/v1/category-models/training-runs",
                          json={}, headers=ADMIN, timeout=5)
    assert again.status_code == 202
    assert trained(intake, again.json()["id"])["state"] == "promoted"

    versions = requests.get(f"{intake['base']}/admin/v1/category-models", headers=ADMIN,
                            timeout=5).json()["versions"]
    older = versions[-1]["version"]
    answer = requests.post(f"{intake['base']}/admin/v1/category-models/{older}/activate",
                           headers=ADMIN, timeout=5)
    assert answer.status_code == 200 and answer.json()["active"]
    assert requests.post(f"{intake['base']}/admin/v1/category-models/999/activate",
                         headers=ADMIN, timeout=5).status_code == 404


def test_the_admin_command_imports_a_history_file(intake, tmp_path, capsys):
    from loop311_shared.admin_cli import main

    reports = tmp_path / "reports.csv"
    reports.write_bytes(as_csv(labelled_reports(600)))
    mapping = tmp_path / "mapping.yml"
    mapping.write_text("".join(f"{name}: {code}\n" for name, code in MAPPING.items()))

    assert main(["import", "history", str(reports), "--mapping", str(mapping), "--url",
                 intake["base"], "--token", TEST_ADMIN_TOKEN]) == 0
    printed = capsys.readouterr().out
    assert "history: 600 reports imported" in printed and "training run 1 queued" in printed

    mapping.write_text("pothole: asteroid_strike\n")
    assert main(["import", "history", str(reports), "--mapping", str(mapping), "--url",
                 intake["base"], "--token", TEST_ADMIN_TOKEN]) == 1
    assert "history import refused (400)" in capsys.readouterr().err
