"""Category inference that learns: the history import (good and each kind of bad), model
versions and rollback, corrections reaching the next training, triage with suggestions,
and the keyword cold start. Handlers called directly on a migrated database."""
import random
import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from labelled_reports import MAPPING, as_csv, as_json, labelled_reports
from loop311_contracts.envelope import read_envelope
from loop311_intake import handlers
from loop311_intake.commands import (
    ActivateCategoryModel,
    ImportHistory,
    KeepTrainedModel,
    RetrainWhenDue,
    SubmitRequest,
    TakeCallIn,
    TrainCategoryModel,
)
from loop311_intake.domain.category_model import Example, fit, softmax, train
from loop311_intake.handlers.category_models import (
    claim_training,
    finish_training,
    queue_due_training,
)
from loop311_intake.models import category_examples, category_training_runs, outbox
from loop311_intake.schemas import CallInSchema, ReportSchema, SubmitRequestSchema
from loop311_shared.errors import Invalid, NotFound
from loop311_shared.unit_of_work import run
from support import DEMO_PLATFORM, received_event

HISTORY = labelled_reports(600)


@pytest.fixture
def uow(intake_uow):
    return intake_uow


def import_history(uow, data=None, filename="history.csv", mapping=MAPPING,
                   jurisdiction_id=None):
    return run(uow, handlers.import_history, ImportHistory(
        as_csv(HISTORY) if data is None else data, filename, mapping, jurisdiction_id,
        "admin"))


def train_next(uow, fit=train):
    """What the background trainer does, without its thread: claim, fit, keep."""
    claimed = run(uow, claim_training, None)
    try:
        outcome = fit(claimed.examples)
    except Exception as error:
        outcome = error
    return run(uow, finish_training, KeepTrainedModel(claimed, outcome))


def examples(uow, source=None):
    query = select(func.count()).select_from(category_examples)
    if source:
        query = query.where(category_examples.c.source == source)
    return uow.session.execute(query).scalar_one()


def runs(uow):
    return uow.session.execute(select(func.count()).select_from(category_training_runs)
                               ).scalar_one()


def versions(uow):
    return run(uow, handlers.model_versions, None)["versions"]


def created_events(uow):
    rows = uow.session.execute(select(outbox.c.envelope).where(
        outbox.c.event_type == "request_created").order_by(outbox.c.id)).scalars()
    return [read_envelope(envelope).data for envelope in rows]


def submit(uow, description, service_code="general"):
    answer, _ = run(uow, handlers.submit_request, SubmitRequest(
        fields=ReportSchema().load({"service_code": service_code, "description": description,
                                    "lat": 27.7705, "long": -82.6383}),
        channel="web", require_attributes=False))
    return answer


# The import.

def test_a_csv_history_is_imported_and_a_training_run_queued(uow):
    extra = [{"description": "a cat is stuck up a tree on Elm St", "category": "Cats",
              "created": "2019-12-01T10:00:00+00:00"}]
    answer = import_history(uow, as_csv(extra + HISTORY))

    assert answer["examples"] == 600
    assert answer["by_service_code"] == {code: 120 for code in MAPPING}
    assert answer["ignored_categories"] == {"Cats": 1}
    run_row = run(uow, handlers.training_run, answer["training_run"])
    assert (run_row["state"], run_row["reason"]) == ("queued", "history import")


def test_json_history_without_dates_imports_in_file_order(uow):
    undated = [{"description": r["description"], "category": r["category"]} for r in HISTORY]
    assert import_history(uow, as_json(undated), "history.json")["examples"] == 600


def test_a_new_import_replaces_the_history_and_keeps_corrections(uow):
    import_history(uow)
    now = datetime.now(timezone.utc)
    uow.category_models.add_correction(DEMO_PLATFORM, "limb down on Elm", "tree", 99, now, now)
    uow.commit()
    import_history(uow, as_csv(HISTORY[:300]))

    assert (examples(uow, "history"), examples(uow, "correction")) == (300, 1)


@pytest.mark.parametrize("data, filename, mapping, problem", [
    (as_csv(HISTORY, columns=("description", "created")), "h.csv", MAPPING,
     "missing column: category"),
    (as_json([{"text": "x", "kind": "y"}]), "h.json", MAPPING,
     "missing columns: description, category"),
    (as_csv(HISTORY), "h.csv", {**MAPPING, "Potholes": "asteroid_strike"},
     "service codes the catalog does not have: asteroid_strike"),
    (b"", "h.csv", MAPPING, "the file is empty"),
    (b"description,category\n", "h.csv", MAPPING, "a header but no reports"),
    ("description,category\nbache en la calle,pothole\n".encode("latin-1") + b"caf\xe9,tree\n",
     "h.csv", MAPPING, "not UTF-8"),
    (as_csv(HISTORY[:40]), "h.csv", MAPPING, "fewer than 10 reports for: graffiti (8)"),
    (as_csv([{**r, "created": "last Tuesday"} for r in HISTORY]), "h.csv", MAPPING,
     "created 'last Tuesday' is not an ISO 8601 date"),
    (b"[1, 2]", "h.json", MAPPING, "a list of reports (objects)"),
])
def test_a_bad_import_says_what_is_wrong_and_changes_nothing(uow, data, filename, mapping,
                                                             problem):
    import_history(uow)
    before = (examples(uow), runs(uow))

    with pytest.raises(Invalid, match=re.escape(problem)):
        import_history(uow, data, filename, mapping)
    assert (examples(uow), runs(uow)) == before


def test_history_for_a_jurisdiction_intake_does_not_serve_is_refused(uow):
    with pytest.raises(Invalid, match="'atlantis' is not served here"):
        import_history(uow, jurisdiction_id="atlantis")


# Training, versions, rollback.

def test_training_makes_a_version_that_serves_with_its_measured_quality(uow):
    import_history(uow)
    result = train_next(uow)

    assert result["state"] == "promoted", result["outcome"]
    [version] = versions(uow)
    assert version["active"] and version["training_data"]["examples"] == 600
    quality = version["quality"]
    assert quality["held_out"] == 120 and quality["top1"] >= 0.8
    assert quality["serving_top1"] is not None  # it beat the keyword guesser to serve
    assert run(uow, handlers.category_suggestions, str(submit(uow, "lamp")[
        "service_request_id"]))["guessed_by"] == f"model v{version['version']}"


def test_a_clear_report_to_general_is_auto_accepted_and_says_what_was_suggested(uow):
    import_history(uow)
    train_next(uow)
    submit(uow, "There is a deep pothole in the road on 9th Ave, it blew my tire")

    [created] = created_events(uow)
    assert created["service_code"] == "pothole"
    best = created["category_suggestions"][0]
    assert best["service_code"] == "pothole" and best["probability"] >= 0.5
    assert len(created["category_suggestions"]) == 3


def test_a_vague_report_goes_to_triage_with_three_suggestions(uow):
    import_history(uow)
    train_next(uow)
    answer = submit(uow, "please come look at this, still not fixed")

    [created] = created_events(uow)
    assert created["service_code"] == "general"
    suggestions = created["category_suggestions"]
    assert len(suggestions) == 3 and suggestions[0]["probability"] < 0.9
    shown = run(uow, handlers.category_suggestions, answer["service_request_id"])
    assert [s["service_code"] for s in shown["suggestions"]] == [
        s["service_code"] for s in suggestions]
    assert "assignment" in shown["pick_with"]


def test_a_model_that_does_worse_is_kept_but_does_not_serve(uow):
    import_history(uow)
    train_next(uow)
    # The same words under shuffled categories: a history import gone wrong.
    categories = [report["category"] for report in HISTORY]
    random.Random(3).shuffle(categories)
    shuffled = [{**report, "category": category}
                for report, category in zip(HISTORY, categories, strict=True)]
    import_history(uow, as_csv(shuffled))
    result = train_next(uow)

    assert result["state"] == "kept", result["outcome"]
    assert "not serving" in result["outcome"]
    newest, first = versions(uow)
    assert first["active"] and not newest["active"]


def test_rollback_is_one_call_and_either_version_can_serve_again(uow):
    import_history(uow)
    train_next(uow)
    run(uow, handlers.train_category_model, TrainCategoryModel(None, "admin"))
    train_next(uow)
    second, first = versions(uow)
    assert second["active"]

    answer = run(uow, handlers.activate_category_model,
                 ActivateCategoryModel(first["version"], "admin"))

    assert answer["active"] and answer["version"] == first["version"]
    assert [v["active"] for v in versions(uow)] == [False, True]
    guesser = uow.guesser()
    assert guesser.version == first["version"]
    with pytest.raises(NotFound):
        run(uow, handlers.activate_category_model, ActivateCategoryModel(999, "admin"))


def test_a_failed_training_run_leaves_the_model_serving(uow):
    import_history(uow)
    train_next(uow)
    run(uow, handlers.train_category_model, TrainCategoryModel(None, "admin"))

    def broken(examples):
        raise MemoryError("no room")
    result = train_next(uow, fit=broken)

    assert result["state"] == "failed" and "MemoryError: no room" in result["outcome"]
    [version] = versions(uow)
    assert version["active"]


def test_training_asked_for_with_nothing_to_learn_from_is_refused(uow):
    with pytest.raises(Invalid, match="import its history first"):
        run(uow, handlers.train_category_model, TrainCategoryModel(None, "admin"))


# Corrections.

def reassigned(request_id, previous, now_code):
    return received_event("request_reassigned", {
        "request_id": request_id, "service_code": now_code, "previous_service_code": previous,
        "jurisdiction_id": DEMO_PLATFORM, "previous_jurisdiction_id": DEMO_PLATFORM,
        "department_code": "public-works", "previous_department_code": None,
        "agency_responsible": "Public Works", "assignee_id": None,
        "jurisdiction_name": "Pinellas County", "department_name": "Public Works",
        "previous_assignee_id": None, "reassigned_by": "dispatcher-1",
        "reason": "triage pick", "reassigned_at": datetime.now(timezone.utc)})


def test_a_correction_joins_the_next_training(uow):
    import_history(uow)
    train_next(uow)
    words = "The sign at the school crossing was knocked flat by a truck"
    request_id = submit(uow, words)["service_request_id"]

    run(uow, handlers.handle_request_reassigned, reassigned(request_id, "general", "tree"))
    assert examples(uow, "correction") == 1
    [queued] = run(uow, queue_due_training, RetrainWhenDue(1, 24 * 3600))
    claimed = run(uow, claim_training, None)

    assert claimed.run_id == queued
    assert claimed.examples[-1].text == words and claimed.examples[-1].service_code == "tree"


def test_a_second_correction_of_a_request_replaces_the_first(uow):
    import_history(uow)
    request_id = submit(uow, "something odd on the corner")["service_request_id"]
    run(uow, handlers.handle_request_reassigned, reassigned(request_id, "general", "tree"))
    run(uow, handlers.handle_request_reassigned, reassigned(request_id, "tree", "graffiti"))

    examples_now, _ = uow.category_models.examples(DEMO_PLATFORM)
    assert [e.service_code for e in examples_now if e.text == "something odd on the corner"
            ] == ["graffiti"]


def test_retraining_waits_for_enough_corrections_or_the_schedule(uow):
    import_history(uow)
    train_next(uow)
    request_id = submit(uow, "graffiti on the wall")["service_request_id"]
    run(uow, handlers.handle_request_reassigned, reassigned(request_id, "general", "graffiti"))

    assert run(uow, queue_due_training, RetrainWhenDue(5, 24 * 3600)) == []
    assert len(run(uow, queue_due_training, RetrainWhenDue(5, 0))) == 1  # the schedule is due


# The cold start.

def test_with_no_history_the_keyword_guesser_answers(uow):
    assert not hasattr(uow.guesser(), "version")
    submit(uow, "Huge pothole on Main Street, my tire blew")
    [created] = created_events(uow)
    assert created["service_code"] == "pothole"
    assert created["category_suggestions"][0]["service_code"] == "pothole"


def test_a_call_in_without_a_category_uses_the_model_and_shows_its_suggestions(uow):
    import_history(uow)
    train_next(uow)
    call = CallInSchema().load({"notes": "the street light is out on Elm St",
                                "location": {"lat": 27.7705, "long": -82.6383}})
    answer = run(uow, handlers.take_call_in, TakeCallIn(call, "dispatcher-1"))

    assert answer["category"]["inferred"] and answer["category"]["service_code"] == "streetlight"
    assert answer["category"]["suggestions"][0]["service_code"] == "streetlight"


def test_a_report_with_its_category_chosen_carries_no_suggestions(uow):
    import_history(uow)
    train_next(uow)
    submit(uow, "deep hole", service_code="pothole")
    [created] = created_events(uow)
    assert created["category_suggestions"] == []


def test_a_history_too_small_to_measure_fails_its_run_and_the_keywords_keep_answering(uow):
    small = [report for report in HISTORY if report["category"] in ("pothole", "tree")][:30]
    import_history(uow, as_csv(small), mapping={"pothole": "pothole", "tree": "tree"})

    result = train_next(uow)

    assert result["state"] == "failed"
    assert "30 examples are too few to train and measure a model" in result["outcome"]
    assert versions(uow) == [] and not hasattr(uow.guesser(), "version")


def test_a_run_left_running_by_a_dead_replica_is_taken_again(uow):
    import_history(uow)
    claimed = run(uow, claim_training, None)
    assert run(uow, claim_training, None) is None  # running, and not stale yet
    uow.session.execute(category_training_runs.update().values(
        started_at=datetime.now(timezone.utc) - timedelta(hours=1)))
    uow.commit()

    again = run(uow, claim_training, None)
    assert again is not None and again.run_id == claimed.run_id


def test_a_correction_teaches_the_model_of_the_jurisdiction_the_report_was_filed_in(uow):
    run(uow, handlers.handle_directory_changed, received_event("directory_changed", {
        "version": 1, "jurisdictions": [{"id": "st-petersburg", "name": "St. Petersburg",
                                         "parent": DEMO_PLATFORM, "population": 258308,
                                         "offers": list(MAPPING)}],
        "departments": []}, subject="directory"))
    import_history(uow, jurisdiction_id="st-petersburg")
    answer, _ = run(uow, handlers.submit_request, SubmitRequest(
        fields=SubmitRequestSchema().load({
            "api_key": "k", "jurisdiction_id": "st-petersburg", "service_code": "general",
            "description": "branches down across the bike lane", "lat": 27.7705,
            "long": -82.6383}), channel="web", require_attributes=False))

    run(uow, handlers.handle_request_reassigned,
        reassigned(answer["service_request_id"], "general", "tree"))

    city, _ = uow.category_models.examples("st-petersburg")
    platform, _ = uow.category_models.examples(DEMO_PLATFORM)
    assert city[-1].text == "branches down across the bike lane" and platform == []


@pytest.mark.parametrize("categories", [None, 2])
def test_a_guess_scores_exactly_as_scikit_learns_own_transform(categories):
    reports = HISTORY if categories is None else [
        report for report in HISTORY if report["category"] in sorted(MAPPING)[:categories]]
    model = fit([Example(report["description"], report["category"]) for report in reports])
    model.temperature = 1.7
    texts = [report["description"] for report in HISTORY[:50]] + [
        "", "zzz qqq unheard-of words", "Pothole " * 400, "Ça déborde près de l'école !"]

    theirs = model.classifier.decision_function(model.vectorizer.transform(texts))

    assert model.probabilities(texts) == pytest.approx(softmax(theirs / 1.7), abs=1e-12)
